fn to_float(bits: u32) -> f32 {
    unsafe { std::mem::transmute(bits) }
}
