"""Plans: reusable bundles of pricing with a billing frequency and contract defaults (concepts §8)."""
