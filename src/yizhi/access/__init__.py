"""Access: requests (apply — use — feedback), reviewed grants with expiry, closure reports, register."""
