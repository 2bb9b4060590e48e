// Weight decoding shared by the matmul and embedding kernels. The includer declares
//   @group(0) @binding(1) var<storage, read> w: array<u32>;   // raw bytes of rows [rowStart, rowEnd)
// and exactly one of WEIGHT_F32 / WEIGHT_F16 / WEIGHT_BF16 / WEIGHT_Q8_0 / WEIGHT_Q4_0.
// Rows are read as stored in the file (GGUF blocks are 18 or 34 bytes, so reads are not 4-aligned):
// nothing is ever expanded to float in GPU memory.

fn w_u32_at(byte: u32) -> u32 {
  let i = byte >> 2u;
  let s = (byte & 3u) * 8u;
  if (s == 0u) { return w[i]; }
  return (w[i] >> s) | (w[i + 1u] << (32u - s));
}

fn w_u16_at(byte: u32) -> u32 {
  // byte is even: a u16 never straddles two words.
  return (w[byte >> 2u] >> ((byte & 2u) * 8u)) & 0xffffu;
}

fn w_f16_at(byte: u32) -> f32 {
  return unpack2x16float(w_u16_at(byte)).x;
}

fn bf16_to_f32(h: u32) -> f32 {
  return bitcast<f32>(h << 16u);
}

fn i8x4(v: u32) -> vec4<f32> {
  return vec4<f32>(vec4<i32>(bitcast<i32>(v << 24u), bitcast<i32>(v << 16u), bitcast<i32>(v << 8u), bitcast<i32>(v)) >> vec4<u32>(24u));
}

#if WEIGHT_F32
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let i = (rowByte >> 2u) + k;
  return vec4<f32>(bitcast<f32>(w[i]), bitcast<f32>(w[i + 1u]), bitcast<f32>(w[i + 2u]), bitcast<f32>(w[i + 3u]));
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return bitcast<f32>(w[(rowByte >> 2u) + k]);
}
#endif

#if WEIGHT_F16
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let b = rowByte + k * 2u;
  return vec4<f32>(unpack2x16float(w_u32_at(b)), unpack2x16float(w_u32_at(b + 4u)));
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w_f16_at(rowByte + k * 2u);
}
#endif

#if WEIGHT_BF16
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let b = rowByte + k * 2u;
  let lo = w_u32_at(b);
  let hi = w_u32_at(b + 4u);
  return vec4<f32>(bitcast<f32>(lo << 16u), bitcast<f32>(lo & 0xffff0000u), bitcast<f32>(hi << 16u), bitcast<f32>(hi & 0xffff0000u));
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return bf16_to_f32(w_u16_at(rowByte + k * 2u));
}
#endif

#if WEIGHT_Q8_0
// block: f16 d; i8 qs[32]  (34 bytes);  y = qs[j] * d
// A whole block at once (the GEMV's inner loop): the scale is read once per 32 values.
fn wblock(rowByte: u32, blk: u32) -> array<vec4<f32>, 8> {
  let base = rowByte + blk * 34u;
  let d = w_f16_at(base);
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) { out[q] = i8x4(w_u32_at(base + 2u + q * 4u)) * d; }
  return out;
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 5u) * 34u;
  return i8x4(w_u32_at(blk + 2u + (k & 31u))) * w_f16_at(blk);
}
fn w1(rowByte: u32, k: u32) -> f32 {
  let blk = rowByte + (k >> 5u) * 34u;
  let q = (w_u32_at(blk + 2u + (k & 31u)) << 24u);
  return f32(bitcast<i32>(q) >> 24u) * w_f16_at(blk);
}
#endif

#if WEIGHT_Q4_0
// block: f16 d; u8 qs[16]  (18 bytes);  y[j] = (qs[j] & 15 - 8) d,  y[j+16] = (qs[j] >> 4 - 8) d
// A whole block at once: word q of qs holds values 4q..4q+3 (low nibbles) and 16+4q.. (high).
fn wblock(rowByte: u32, blk: u32) -> array<vec4<f32>, 8> {
  let base = rowByte + blk * 18u;
  let d = w_f16_at(base);
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 4u; q++) {
    let v = w_u32_at(base + 2u + q * 4u);
    let bytes = vec4<u32>(v, v >> 8u, v >> 16u, v >> 24u);
    out[q] = (vec4<f32>(bytes & vec4<u32>(15u)) - 8.0) * d;
    out[q + 4u] = (vec4<f32>((bytes >> vec4<u32>(4u)) & vec4<u32>(15u)) - 8.0) * d;
  }
  return out;
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 5u) * 18u;
  let j = k & 31u;
  let q = w_u32_at(blk + 2u + (j & 15u)) >> ((j >> 4u) * 4u);
  let n = vec4<u32>(q, q >> 8u, q >> 16u, q >> 24u) & vec4<u32>(15u);
  return (vec4<f32>(n) - 8.0) * w_f16_at(blk);
}
fn w1(rowByte: u32, k: u32) -> f32 {
  let blk = rowByte + (k >> 5u) * 18u;
  let j = k & 31u;
  let q = (w_u32_at(blk + 2u + (j & 15u)) >> ((j >> 4u) * 4u)) & 15u;
  return (f32(q) - 8.0) * w_f16_at(blk);
}
#endif
