//! Returning freed heap memory to the operating system after loading.
//!
//! Parsing a 128K-token `tokenizer.json` allocates ~25 MB of short-lived strings (the file,
//! the merge pairs as text) that glibc keeps in its heap after they are freed, where they
//! would count towards the process's resident memory for its whole life and add to the peak
//! while the weights load after them. `release_free_heap` hands them back (`malloc_trim`).
//! Elsewhere (musl, macOS, Windows) it does nothing.

/// Give freed heap pages back to the OS, where the allocator supports it.
pub fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    trim();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: glibc's `malloc_trim` takes no pointers, is thread-safe, and only releases
    // memory that no allocation uses; its return value (whether anything was released) is
    // informational.
    unsafe {
        malloc_trim(0);
    }
}
