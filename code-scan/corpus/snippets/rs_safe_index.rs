fn read_at(buf: &[u8], i: usize) -> Option<u8> {
    buf.get(i).copied()
}
