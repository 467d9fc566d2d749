fn read_at(buf: &[u8], i: usize) -> u8 {
    unsafe { *buf.as_ptr().add(i) }
}
