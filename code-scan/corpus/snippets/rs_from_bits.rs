fn to_float(bits: u32) -> f32 {
    f32::from_bits(bits)
}
