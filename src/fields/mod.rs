//! Domain types for posted values (placeholder; being written).
