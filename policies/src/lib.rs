//! Warden policy files: raw serde types compiled into an immutable `PolicySet`, validated with
//! file:line:column errors, swapped atomically by the `PolicyStore` on reload.
