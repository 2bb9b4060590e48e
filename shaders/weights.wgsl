// Weight decoding shared by the matmul and embedding kernels. The includer defines
//   fn wword(i: u32) -> u32   // word i of the raw bytes of rows [rowStart, rowEnd)
// (usually w[i] of a storage binding) and exactly one WEIGHT_<dtype> flag (src/formats/dtypes.ts
// names the layouts); WEIGHT_Q4Z / WEIGHT_Q8Z come with Q4Z_GROUP / Q8Z_GROUP, their block length,
// WEIGHT_QA with QA_BITS, QA_GROUP and QA_HALF. Each type defines w4 (4 values from an index that is a
// multiple of 4) and w1; all but the float types (the 32-value GGUF blocks, the K-quants per 32-value
// sub-block, and the repacked checkpoint types per 32 values of a group) also define wblock, 32 values
// at once for the GEMV, and wblock_scale: the block's values are wblock's times wblock_scale. Where
// all 32 share one multiplier (BLOCK_SCALE,
// src/kernels/matmul.ts says which types) it stays out of wblock, so the GEMV applies it once per
// block, not once per weight; types with an offset (q d + m) or two 16-value scales fold them into
// wblock's values and take the default scale of 1 (at the end of this file).
// Rows are read as stored in the file (GGUF blocks are 18 or 34 bytes, so reads are not 4-aligned):
// nothing is ever expanded to float in GPU memory.

fn w_u32_at(byte: u32) -> u32 {
  let i = byte >> 2u;
  let s = (byte & 3u) * 8u;
  if (s == 0u) { return wword(i); }
  return (wword(i) >> s) | (wword(i + 1u) << (32u - s));
}

fn w_u16_at(byte: u32) -> u32 {
  // byte is even: a u16 never straddles two words.
  return (wword(byte >> 2u) >> ((byte & 2u) * 8u)) & 0xffffu;
}

fn w_f16_at(byte: u32) -> f32 {
  return unpack2x16float(w_u16_at(byte)).x;
}

fn bf16_to_f32(h: u32) -> f32 {
  return bitcast<f32>(h << 16u);
}

// The four bytes of a word in lanes (each shifted down, higher bits left in place), and those lanes
// masked: the field at the bottom of each byte.
fn bytes4(v: u32) -> vec4<u32> {
  return vec4<u32>(v, v >> 8u, v >> 16u, v >> 24u);
}
fn fields4(v: u32, mask: u32) -> vec4<u32> {
  return bytes4(v) & vec4<u32>(mask);
}

// Small integers to float without a conversion instruction, exactly: the float whose bits are
// 0x4b000000 | u is 2^23 + u for any u < 2^23, so subtracting 2^23 + offset leaves u - offset. GPUs
// convert int to float at a fraction of their FMA rate (NVIDIA: 16 per SM per clock against 128
// FMAs), and a quantized GEMV converts every weight it reads; an OR and a subtraction run at full rate.
const MAGIC_BITS: u32 = 0x4b000000u;
const MAGIC: f32 = 8388608.0;
fn small4(u: vec4<u32>, offset: f32) -> vec4<f32> {
  return bitcast<vec4<f32>>(u | vec4<u32>(MAGIC_BITS)) - (MAGIC + offset);
}
fn small1(u: u32, offset: f32) -> f32 {
  return bitcast<f32>(u | MAGIC_BITS) - (MAGIC + offset);
}

// Four signed bytes: flipping each sign bit maps -128..127 to 0..255, the same values plus 128.
fn i8x4(v: u32) -> vec4<f32> {
  return small4(fields4(v ^ 0x80808080u, 0xffu), 128.0);
}

#if WEIGHT_F32
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let i = (rowByte >> 2u) + k;
  return vec4<f32>(bitcast<f32>(wword(i)), bitcast<f32>(wword(i + 1u)), bitcast<f32>(wword(i + 2u)), bitcast<f32>(wword(i + 3u)));
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return bitcast<f32>(wword((rowByte >> 2u) + k));
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
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) { out[q] = i8x4(w_u32_at(base + 2u + q * 4u)); }
  return out;
}
fn wblock_scale(rowByte: u32, blk: u32) -> f32 {
  return w_f16_at(rowByte + blk * 34u);
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 5u) * 34u;
  return i8x4(w_u32_at(blk + 2u + (k & 31u))) * w_f16_at(blk);
}
fn w1(rowByte: u32, k: u32) -> f32 {
  let blk = rowByte + (k >> 5u) * 34u;
  let q = w_u32_at(blk + 2u + (k & 31u)) & 0xffu;
  return small1(q ^ 0x80u, 128.0) * w_f16_at(blk);
}
#endif

#if WEIGHT_Q4_0
// block: f16 d; u8 qs[16]  (18 bytes);  y[j] = (qs[j] & 15 - 8) d,  y[j+16] = (qs[j] >> 4 - 8) d
// A whole block at once: word q of qs holds values 4q..4q+3 (low nibbles) and 16+4q.. (high).
fn wblock(rowByte: u32, blk: u32) -> array<vec4<f32>, 8> {
  let base = rowByte + blk * 18u;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 4u; q++) {
    let v = w_u32_at(base + 2u + q * 4u);
    let bytes = bytes4(v);
    out[q] = small4(bytes & vec4<u32>(15u), 8.0);
    out[q + 4u] = small4((bytes >> vec4<u32>(4u)) & vec4<u32>(15u), 8.0);
  }
  return out;
}
fn wblock_scale(rowByte: u32, blk: u32) -> f32 {
  return w_f16_at(rowByte + blk * 18u);
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 5u) * 18u;
  let j = k & 31u;
  let q = w_u32_at(blk + 2u + (j & 15u)) >> ((j >> 4u) * 4u);
  let n = fields4(q, 15u);
  return small4(n, 8.0) * w_f16_at(blk);
}
fn w1(rowByte: u32, k: u32) -> f32 {
  let blk = rowByte + (k >> 5u) * 18u;
  let j = k & 31u;
  let q = (w_u32_at(blk + 2u + (j & 15u)) >> ((j >> 4u) * 4u)) & 15u;
  return small1(q, 8.0) * w_f16_at(blk);
}
#endif

#if WEIGHT_Q4_1
// block: f16 d; f16 m; u8 qs[16]  (20 bytes, so blocks stay word-aligned);  y = q d + m, nibbles as Q4_0.
fn wblock(rowByte: u32, blk: u32) -> array<vec4<f32>, 8> {
  let base = rowByte + blk * 20u;
  let dm = unpack2x16float(wword(base >> 2u));
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 4u; q++) {
    let v = wword((base >> 2u) + 1u + q);
    let bytes = bytes4(v);
    out[q] = small4(bytes & vec4<u32>(15u), 0.0) * dm.x + dm.y;
    out[q + 4u] = small4((bytes >> vec4<u32>(4u)) & vec4<u32>(15u), 0.0) * dm.x + dm.y;
  }
  return out;
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let base = rowByte + (k >> 5u) * 20u;
  let j = k & 31u;
  let q = wword((base + 4u + (j & 15u)) >> 2u) >> ((j >> 4u) * 4u);
  let n = fields4(q, 15u);
  let dm = unpack2x16float(wword(base >> 2u));
  return small4(n, 0.0) * dm.x + dm.y;
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

#if Q5
// Values 4q..4q+3 (low nibbles) and 16+4q.. (high) of a Q5_0 / Q5_1 block: the nibbles of qs (at byte
// qsByte) with bit j (j + 16 for the high ones) of qh as their fifth bit, minus `offset`.
fn q5_nibbles(qsByte: u32, qh: u32, q: u32, offset: f32) -> array<vec4<f32>, 2> {
  let bytes = bytes4(w_u32_at(qsByte + q * 4u));
  let sh = vec4<u32>(4u * q, 4u * q + 1u, 4u * q + 2u, 4u * q + 3u);
  let lo = (bytes & vec4<u32>(15u)) | (((vec4<u32>(qh) >> sh) & vec4<u32>(1u)) << vec4<u32>(4u));
  let hi = ((bytes >> vec4<u32>(4u)) & vec4<u32>(15u)) | (((vec4<u32>(qh) >> (sh + vec4<u32>(16u))) & vec4<u32>(1u)) << vec4<u32>(4u));
  return array<vec4<f32>, 2>(small4(lo, offset), small4(hi, offset));
}
#endif

#if WEIGHT_Q5_0
// block: f16 d; u32 qh; u8 qs[16]  (22 bytes);  y[j] = (qs[j] & 15 | bit j of qh << 4) - 16) d,
// y[j + 16] = (qs[j] >> 4 | bit j + 16 of qh << 4) - 16) d.
fn wblock(rowByte: u32, blk: u32) -> array<vec4<f32>, 8> {
  let base = rowByte + blk * 22u;
  let qh = w_u32_at(base + 2u);
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 4u; q++) {
    let n = q5_nibbles(base + 6u, qh, q, 16.0);
    out[q] = n[0];
    out[q + 4u] = n[1];
  }
  return out;
}
fn wblock_scale(rowByte: u32, blk: u32) -> f32 {
  return w_f16_at(rowByte + blk * 22u);
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let base = rowByte + (k >> 5u) * 22u;
  let j = k & 31u;
  return q5_nibbles(base + 6u, w_u32_at(base + 2u), (j & 15u) >> 2u, 16.0)[j >> 4u] * w_f16_at(base);
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

#if WEIGHT_Q5_1
// block: f16 d; f16 m; u32 qh; u8 qs[16]  (24 bytes, word-aligned);  Q5_0's 5-bit values, y = q d + m.
fn wblock(rowByte: u32, blk: u32) -> array<vec4<f32>, 8> {
  let base = rowByte + blk * 24u;
  let dm = unpack2x16float(wword(base >> 2u));
  let qh = wword((base >> 2u) + 1u);
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 4u; q++) {
    let n = q5_nibbles(base + 8u, qh, q, 0.0);
    out[q] = n[0] * dm.x + dm.y;
    out[q + 4u] = n[1] * dm.x + dm.y;
  }
  return out;
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let base = rowByte + (k >> 5u) * 24u;
  let j = k & 31u;
  let dm = unpack2x16float(wword(base >> 2u));
  return q5_nibbles(base + 8u, wword((base >> 2u) + 1u), (j & 15u) >> 2u, 0.0)[j >> 4u] * dm.x + dm.y;
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

#if WEIGHT_F8E4M3_128
// block: f32 scale; u8 e4m3[128]  (132 bytes);  y = e4m3 * scale. E4M3: sign, 4 exponent bits with
// bias 7 (0 = subnormal), 3 mantissa bits: |y| = (8 + m) 2^(e - 10), or m 2^-9 when e = 0. The loader
// refuses the NaN code, so it is not decoded here.
// Built from bits, with no int-to-float conversion or ldexp: a normal code's exponent and mantissa
// bits land in f32's fields with the exponent rebiased by 127 - 7; a subnormal one is m 2^-9.
fn e4m3x4(v: u32) -> vec4<f32> {
  let b = fields4(v, 0xffu);
  let em = b & vec4<u32>(0x7fu);
  let normal = bitcast<vec4<f32>>((em << vec4<u32>(20u)) + vec4<u32>(120u << 23u));
  let subnormal = small4(em, 0.0) * (1.0 / 512.0);
  let mag = select(subnormal, normal, em >= vec4<u32>(8u));
  return bitcast<vec4<f32>>(bitcast<vec4<u32>>(mag) | ((b & vec4<u32>(0x80u)) << vec4<u32>(24u)));
}
fn code4(v: u32) -> vec4<f32> {
  return e4m3x4(v);
}
#endif

#if WEIGHT_I8_128
// block: f32 scale; i8 q[128]  (132 bytes);  y = q * scale (compressed-tensors INT8).
fn code4(v: u32) -> vec4<f32> {
  return i8x4(v);
}
#endif

#if SCALED8
// The two 8-bit types with an f32 scale per 128 values (33 words a block): the type's code4 decodes
// four bytes of codes.
// 32 values: quarter `chunk & 3` of block `chunk >> 2`, eight words of codes; the scale stays out.
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let w0 = (rowByte >> 2u) + (chunk >> 2u) * 33u + 1u + (chunk & 3u) * 8u;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) { out[q] = code4(wword(w0 + q)); }
  return out;
}
fn wblock_scale(rowByte: u32, chunk: u32) -> f32 {
  return bitcast<f32>(wword((rowByte >> 2u) + (chunk >> 2u) * 33u));
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = (rowByte >> 2u) + (k >> 7u) * 33u;
  return code4(wword(blk + 1u + ((k & 127u) >> 2u))) * bitcast<f32>(wword(blk));
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

#if BNB4
// bitsandbytes 4-bit, block of 64: f32 absmax; u8 qs[32] as bitsandbytes packs them: value 2j in the
// high nibble of byte j, 2j + 1 in the low one; y = LEVELS[q] * absmax, the type's code book
// (formats/numeric.ts NF4_VALUES or FP4_VALUES, the same f32 values).
#if WEIGHT_FP4_64
// FP4 (sign, 2 exponent bits, 1 mantissa bit) over 12: 0, 0.0625, 8, 12, 4, 6, 2, 3 and their
// negatives, each the f32 nearest (written out: a constant expression's rounding to f32 is not pinned
// down by WGSL).
var<private> LEVELS: array<f32, 16> = array<f32, 16>(
  0.0, 0.0052083334885537624, 0.6666666865348816, 1.0, 0.3333333432674408, 0.5, 0.1666666716337204, 0.25,
  0.0, -0.0052083334885537624, -0.6666666865348816, -1.0, -0.3333333432674408, -0.5, -0.1666666716337204, -0.25);
#else
var<private> LEVELS: array<f32, 16> = array<f32, 16>(
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
  0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0);
#endif
// Values 2j..2j+3 from bytes j and j + 1 of `v` (j = 0: the low half-word): high nibble first.
fn levels4(v: u32) -> vec4<f32> {
  return vec4<f32>(LEVELS[(v >> 4u) & 15u], LEVELS[v & 15u], LEVELS[(v >> 12u) & 15u], LEVELS[(v >> 8u) & 15u]);
}
// 32 values: half `chunk & 1` of block `chunk >> 1`, four words of nibbles; the absmax stays out.
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let w0 = (rowByte >> 2u) + (chunk >> 1u) * 9u + 1u + (chunk & 1u) * 4u;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 4u; q++) {
    let v = wword(w0 + q);
    out[2u * q] = levels4(v);
    out[2u * q + 1u] = levels4(v >> 16u);
  }
  return out;
}
fn wblock_scale(rowByte: u32, chunk: u32) -> f32 {
  return bitcast<f32>(wword((rowByte >> 2u) + (chunk >> 1u) * 9u));
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = (rowByte >> 2u) + (k >> 6u) * 9u;
  let j = k & 63u;
  return levels4(wword(blk + 1u + (j >> 3u)) >> ((j & 4u) * 4u)) * bitcast<f32>(wword(blk));
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

#if WEIGHT_QA
// block of QA_GROUP values: the scale and bias (QA_HALF: f16 scale, f16 bias in one word; else f32
// scale, f32 bias); then the QA_BITS-bit values as MLX packs them, one bit stream: value i at bits
// [QA_BITS i, QA_BITS i + QA_BITS), low bits first. y = q scale + bias.
#if QA_HALF
const QA_HEAD: u32 = 1u;
fn qa_scale_bias(blk: u32) -> vec2<f32> {
  return unpack2x16float(wword(blk));
}
#else
const QA_HEAD: u32 = 2u;
fn qa_scale_bias(blk: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<f32>(wword(blk)), bitcast<f32>(wword(blk + 1u)));
}
#endif
const QA_WORDS: u32 = QA_HEAD + QA_GROUP * QA_BITS / 32u;
const QA_MASK: u32 = (1u << QA_BITS) - 1u;
// 2-, 4- and 8-bit values never cross a word: four of them lie in one word (at a shift of 0, 8, 16
// or 24 for 2 bits, 0 or 16 for 4, 0 for 8).
const QA_WHOLE_WORDS: bool = (QA_BITS & (QA_BITS - 1u)) == 0u;
// Values 4j..4j + 3 of a run of words, from `lo` (the word holding bit 4 j QA_BITS) and the next one:
// 3-, 5- and 6-bit runs of four (12 to 24 bits) may go on into it.
fn qa_four(lo: u32, hi: u32, j: u32) -> vec4<u32> {
  let shift = (4u * j * QA_BITS) % 32u;
  var v = lo >> shift;
  if (!QA_WHOLE_WORDS && shift + 4u * QA_BITS > 32u) {
    v |= hi << (32u - shift);
  }
  return (vec4<u32>(v) >> vec4<u32>(0u, QA_BITS, 2u * QA_BITS, 3u * QA_BITS)) & vec4<u32>(QA_MASK);
}
// 32 values, QA_BITS words, all in one group (groups are 32, 64 or 128 long): one scale-and-bias read.
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let per = QA_GROUP / 32u;
  let blk = (rowByte >> 2u) + (chunk / per) * QA_WORDS;
  let w0 = blk + QA_HEAD + (chunk % per) * QA_BITS;
  var words: array<u32, QA_BITS + 1u>;
  for (var i = 0u; i < QA_BITS; i++) { words[i] = wword(w0 + i); }
  let sb = qa_scale_bias(blk);
  var out: array<vec4<f32>, 8>;
  for (var j = 0u; j < 8u; j++) {
    let word = 4u * j * QA_BITS / 32u;
    out[j] = small4(qa_four(words[word], words[word + 1u], j), 0.0) * sb.x + sb.y;
  }
  return out;
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = (rowByte >> 2u) + (k / QA_GROUP) * QA_WORDS;
  let j = (k % QA_GROUP) / 4u;
  let word = blk + QA_HEAD + 4u * j * QA_BITS / 32u;
  // The next word is read only where a run crosses into it (inside the group, so in the buffer).
  var hi = 0u;
  if (!QA_WHOLE_WORDS && (4u * j * QA_BITS) % 32u + 4u * QA_BITS > 32u) {
    hi = wword(word + 1u);
  }
  let sb = qa_scale_bias(blk);
  return small4(qa_four(wword(word), hi, j), 0.0) * sb.x + sb.y;
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

#if WEIGHT_Q4Z
// block of Q4Z_GROUP values: f16 d; f16 z; u8 qs[Q4Z_GROUP / 2]  (word-aligned);  y = (q - z) d, where
// byte j holds value j (low nibble) and value j + Q4Z_GROUP / 2 (high): GPTQ / AWQ groups as rows.
const Q4Z_HALF: u32 = Q4Z_GROUP / 2u;
const Q4Z_WORDS: u32 = 1u + Q4Z_GROUP / 8u;
// 32 values, all in one group (groups are 32 to 128 long); q - z, the scale d staying out. A group of
// 32 is four words, low nibbles then high; in a longer one they are eight words of one nibble row
// (low for the group's first half, high for its second).
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let per = Q4Z_GROUP / 32u;
  let blk = (rowByte >> 2u) + (chunk / per) * Q4Z_WORDS;
  let z = unpack2x16float(wword(blk)).y;
  var out: array<vec4<f32>, 8>;
  if (Q4Z_GROUP == 32u) {
    for (var q = 0u; q < 4u; q++) {
      let v = wword(blk + 1u + q);
      out[q] = small4(fields4(v, 15u), 0.0) - z;
      out[q + 4u] = small4(fields4(v >> 4u, 15u), 0.0) - z;
    }
  } else {
    let j = (chunk % per) * 32u;
    let w0 = blk + 1u + (j % Q4Z_HALF) / 4u;
    let shift = (j / Q4Z_HALF) * 4u;
    for (var q = 0u; q < 8u; q++) { out[q] = small4(fields4(wword(w0 + q) >> shift, 15u), 0.0) - z; }
  }
  return out;
}
fn wblock_scale(rowByte: u32, chunk: u32) -> f32 {
  return unpack2x16float(wword((rowByte >> 2u) + (chunk / (Q4Z_GROUP / 32u)) * Q4Z_WORDS)).x;
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = (rowByte >> 2u) + (k / Q4Z_GROUP) * Q4Z_WORDS;
  let j = k % Q4Z_GROUP;
  let q = wword(blk + 1u + (j % Q4Z_HALF) / 4u) >> ((j / Q4Z_HALF) * 4u);
  let n = fields4(q, 15u);
  let dz = unpack2x16float(wword(blk));
  return (small4(n, 0.0) - dz.y) * dz.x;
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

#if WEIGHT_Q8Z
// block of Q8Z_GROUP values: f16 d; f16 z; u8 qs[Q8Z_GROUP] (byte j: value j). y = (q - z) d:
// 8-bit GPTQ groups as rows.
const Q8Z_WORDS: u32 = 1u + Q8Z_GROUP / 4u;
// 32 values of one group: eight words of codes; q - z, the scale d staying out.
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let per = Q8Z_GROUP / 32u;
  let blk = (rowByte >> 2u) + (chunk / per) * Q8Z_WORDS;
  let w0 = blk + 1u + (chunk % per) * 8u;
  let z = unpack2x16float(wword(blk)).y;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) { out[q] = small4(fields4(wword(w0 + q), 255u), 0.0) - z; }
  return out;
}
fn wblock_scale(rowByte: u32, chunk: u32) -> f32 {
  return unpack2x16float(wword((rowByte >> 2u) + (chunk / (Q8Z_GROUP / 32u)) * Q8Z_WORDS)).x;
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = (rowByte >> 2u) + (k / Q8Z_GROUP) * Q8Z_WORDS;
  let dz = unpack2x16float(wword(blk));
  return (small4(fields4(wword(blk + 1u + (k % Q8Z_GROUP) / 4u), 255u), 0.0) - dz.y) * dz.x;
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

// Q2_K / Q3_K: 2-bit fields, four per byte, value i of a super-block in byte qs[32 (i / 128) + i % 32]
// at shift 2 ((i / 32) % 4), with 16-value sub-blocks.
fn q2_fields(word: u32, j: u32) -> vec4<u32> {
  let v = word >> (2u * j);
  return fields4(v, 3u);
}

#if WEIGHT_Q2_K
// block of 256: u8 scales[16] (low nibble scale, high nibble min); u8 qs[64]; f16 d; f16 dmin (84 bytes).
// value = d * scale * q - dmin * min.
fn q2k_values(blk: u32, h: u32, j: u32, l: u32, sc: u32) -> vec4<f32> {
  let dm = unpack2x16float(w_u32_at(blk + 80u));
  let q = q2_fields(w_u32_at(blk + 16u + 32u * h + l), j);
  return small4(q, 0.0) * (dm.x * f32(sc & 15u)) - vec4<f32>(dm.y * f32(sc >> 4u));
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 8u) * 84u;
  let i = k & 255u;
  let h = i >> 7u;
  let j = (i >> 5u) & 3u;
  let l = i & 31u;
  return q2k_values(blk, h, j, l, w_u8_at(blk + 8u * h + 2u * j + (l >> 4u)));
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let blk = rowByte + (chunk >> 3u) * 84u;
  let h = (chunk >> 2u) & 1u;
  let j = chunk & 3u;
  let sc = w_u32_at(blk + 8u * h + 2u * j);
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) { out[q] = q2k_values(blk, h, j, 4u * q, select((sc >> 8u) & 255u, sc & 255u, q < 4u)); }
  return out;
}
#endif

#if WEIGHT_Q3_K
// block of 256: u8 hmask[32]; u8 qs[64]; u8 scales[12] (16 six-bit scales); f16 d (110 bytes).
// value = d * (scale - 32) * (q - (bit 4h + j of hmask[l] ? 0 : 4)).
fn q3k_scale(blk: u32, si: u32) -> f32 {
  let s = blk + 96u;
  let lo = select(w_u8_at(s + si - 8u) >> 4u, w_u8_at(s + si) & 15u, si < 8u);
  let hi = (w_u8_at(s + 8u + (si & 3u)) >> (2u * (si >> 2u))) & 3u;
  return f32(i32(lo | (hi << 4u)) - 32);
}
fn q3k_values(blk: u32, h: u32, j: u32, l: u32) -> vec4<f32> {
  // q - 4 where the hmask bit is clear, q where it is set: (q | hbit << 2) - 4.
  let q = q2_fields(w_u32_at(blk + 32u + 32u * h + l), j);
  let m = w_u32_at(blk + l) >> (4u * h + j);
  return small4(q | (fields4(m, 1u) << vec4<u32>(2u)), 4.0);
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 8u) * 110u;
  let i = k & 255u;
  let h = i >> 7u;
  let j = (i >> 5u) & 3u;
  let l = i & 31u;
  return q3k_values(blk, h, j, l) * (w_f16_at(blk + 108u) * q3k_scale(blk, 8u * h + 2u * j + (l >> 4u)));
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let blk = rowByte + (chunk >> 3u) * 110u;
  let h = (chunk >> 2u) & 1u;
  let j = chunk & 3u;
  let d = w_f16_at(blk + 108u);
  let s0 = d * q3k_scale(blk, 8u * h + 2u * j);
  let s1 = d * q3k_scale(blk, 8u * h + 2u * j + 1u);
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) { out[q] = q3k_values(blk, h, j, 4u * q) * select(s1, s0, q < 4u); }
  return out;
}
#endif

#if IQ4
// The 16 non-linear levels a nibble picks (ggml's kvalues_iq4nl).
var<private> IQ4_LEVELS: array<f32, 16> = array<f32, 16>(-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0, 1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);
fn iq4_levels(v: u32) -> vec4<f32> {
  let n = fields4(v, 15u);
  return vec4<f32>(IQ4_LEVELS[n.x], IQ4_LEVELS[n.y], IQ4_LEVELS[n.z], IQ4_LEVELS[n.w]);
}
#endif

#if WEIGHT_IQ4_NL
// block: f16 d; u8 qs[16]  (18 bytes): Q4_0's nibble layout, y = d * level[q].
fn wblock(rowByte: u32, blk: u32) -> array<vec4<f32>, 8> {
  let base = rowByte + blk * 18u;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 4u; q++) {
    let v = w_u32_at(base + 2u + q * 4u);
    out[q] = iq4_levels(v);
    out[q + 4u] = iq4_levels(v >> 4u);
  }
  return out;
}
fn wblock_scale(rowByte: u32, blk: u32) -> f32 {
  return w_f16_at(rowByte + blk * 18u);
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let base = rowByte + (k >> 5u) * 18u;
  let j = k & 31u;
  return iq4_levels(w_u32_at(base + 2u + (j & 15u)) >> ((j >> 4u) * 4u)) * w_f16_at(base);
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
#endif

#if WEIGHT_IQ4_XS
// block of 256: f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128]  (136 bytes). Sub-block ib of 32 values
// has the 6-bit scale (scales_l nibble ib) | (2 bits ib of scales_h) << 4, minus 32; its 16 qs bytes
// hold values 0..15 (low nibbles) and 16..31 (high), y = d * scale * level[q].
fn iq4xs_scale(blk: u32, ib: u32) -> f32 {
  let lo = (w_u8_at(blk + 4u + (ib >> 1u)) >> (4u * (ib & 1u))) & 15u;
  let hi = (w_u16_at(blk + 2u) >> (2u * ib)) & 3u;
  return w_f16_at(blk) * f32(i32(lo | (hi << 4u)) - 32);
}
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 8u) * 136u;
  let ib = (k >> 5u) & 7u;
  let j = k & 31u;
  return iq4_levels(w_u32_at(blk + 8u + 16u * ib + (j & 15u)) >> ((j >> 4u) * 4u)) * iq4xs_scale(blk, ib);
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let blk = rowByte + (chunk >> 3u) * 136u;
  let ib = chunk & 7u;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 4u; q++) {
    let v = w_u32_at(blk + 8u + 16u * ib + 4u * q);
    out[q] = iq4_levels(v);
    out[q + 4u] = iq4_levels(v >> 4u);
  }
  return out;
}
fn wblock_scale(rowByte: u32, chunk: u32) -> f32 {
  return iq4xs_scale(rowByte + (chunk >> 3u) * 136u, chunk & 7u);
}
#endif

// 6-bit scales and mins of the 8 sub-blocks of a Q4_K / Q5_K super-block (get_scale_min_k4).
fn w_u8_at(byte: u32) -> u32 {
  return (wword(byte >> 2u) >> ((byte & 3u) * 8u)) & 0xffu;
}
fn q4k_scale_min(sc: u32, j: u32) -> vec2<f32> {
  if (j < 4u) { return vec2<f32>(f32(w_u8_at(sc + j) & 63u), f32(w_u8_at(sc + j + 4u) & 63u)); }
  let a = w_u8_at(sc + j + 4u);
  return vec2<f32>(f32((a & 15u) | ((w_u8_at(sc + j - 4u) >> 6u) << 4u)), f32((a >> 4u) | ((w_u8_at(sc + j) >> 6u) << 4u)));
}
// Sub-block j of the Q4_K / Q5_K super-block at `blk`: (d * scale, dmin * min).
fn q4k_sub_block(blk: u32, j: u32) -> vec2<f32> {
  let sm = q4k_scale_min(blk + 4u, j);
  let dd = unpack2x16float(w_u32_at(blk));
  return vec2<f32>(dd.x * sm.x, dd.y * sm.y);
}

#if WEIGHT_Q4_K
// block of 256: f16 d; f16 dmin; u8 scales[12]; u8 qs[128] (144 bytes). Values 64c..64c+31 are the
// low nibbles of qs[32c..32c+31] in sub-block 2c, values 64c+32.. the high nibbles in sub-block 2c+1;
// value = d * scale * q - dmin * min, with 6-bit scales and mins packed as get_scale_min_k4 reads them.
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 8u) * 144u;
  let j = k & 255u;
  let c = j >> 6u;
  let high = (j >> 5u) & 1u;
  let sm = q4k_sub_block(blk, 2u * c + high);
  let q = w_u32_at(blk + 16u + 32u * c + (j & 31u)) >> (high * 4u);
  return small4(fields4(q, 15u), 0.0) * sm.x - sm.y;
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
// 32 values (sub-block `chunk` of the row) at once: its scale and min decoded once, not per 4 values.
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let blk = rowByte + (chunk >> 3u) * 144u;
  let j = chunk & 7u;
  let sm = q4k_sub_block(blk, j);
  let base = blk + 16u + 32u * (j >> 1u);
  let shift = (j & 1u) * 4u;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) {
    let v = w_u32_at(base + 4u * q) >> shift;
    out[q] = small4(fields4(v, 15u), 0.0) * sm.x - sm.y;
  }
  return out;
}
#endif

#if WEIGHT_Q5_K
// block of 256: f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128] (176 bytes): Q4_K's layout with
// a fifth bit per value, bit 2c + high of qh[l] for value 64c + 32 high + l.
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 8u) * 176u;
  let j = k & 255u;
  let c = j >> 6u;
  let high = (j >> 5u) & 1u;
  let l = j & 31u;
  let sm = q4k_sub_block(blk, 2u * c + high);
  let q = w_u32_at(blk + 48u + 32u * c + l) >> (high * 4u);
  let h = w_u32_at(blk + 16u + l) >> (2u * c + high);
  return small4(fields4(q, 15u) | (fields4(h, 1u) << vec4<u32>(4u)), 0.0) * sm.x - sm.y;
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let blk = rowByte + (chunk >> 3u) * 176u;
  let j = chunk & 7u;
  let sm = q4k_sub_block(blk, j);
  let base = blk + 48u + 32u * (j >> 1u);
  let shift = (j & 1u) * 4u;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) {
    let v = w_u32_at(base + 4u * q) >> shift;
    let h = w_u32_at(blk + 16u + 4u * q) >> j;
    let n = fields4(v, 15u) | (fields4(h, 1u) << vec4<u32>(4u));
    out[q] = small4(n, 0.0) * sm.x - sm.y;
  }
  return out;
}
#endif

#if WEIGHT_Q6_K
// block of 256: u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d (210 bytes). Half n (128 values) uses
// ql[64n..], qh[32n..], scales[8n..]; within it quarter t of 32 values takes low (t even) or high
// (t odd... see below) nibbles of ql[l] (t = 0, 2) or ql[l + 32] (t = 1, 3), plus 2 bits of qh[l]
// at shift 2t, minus 32, times d * scales[l / 16 + 2t].
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let blk = rowByte + (k >> 8u) * 210u;
  let j = k & 255u;
  let n = j >> 7u;
  let t = (j >> 5u) & 3u;
  let l = j & 31u;
  let ql = w_u32_at(blk + 64u * n + l + 32u * (t & 1u)) >> (4u * (t >> 1u));
  let qh = w_u32_at(blk + 128u + 32u * n + l) >> (2u * t);
  let lo = fields4(ql, 15u);
  let hi = fields4(qh, 3u);
  let q = small4(lo | (hi << vec4<u32>(4u)), 32.0);
  let scByte = blk + 192u + 8u * n + (l >> 4u) + 2u * t;
  let sc = f32(bitcast<i32>(w_u32_at(scByte) << 24u) >> 24u);
  return q * (w_f16_at(blk + 208u) * sc);
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
// 32 values: quarter t of half n of a super-block; its two 16-value scales decoded once.
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let blk = rowByte + (chunk >> 3u) * 210u;
  let n = (chunk >> 2u) & 1u;
  let t = chunk & 3u;
  let d = w_f16_at(blk + 208u);
  let scByte = blk + 192u + 8u * n + 2u * t;
  let sc = w_u32_at(scByte);
  let s0 = d * f32(bitcast<i32>(sc << 24u) >> 24u);
  let s1 = d * f32(bitcast<i32>(sc << 16u) >> 24u);
  let qlBase = blk + 64u * n + 32u * (t & 1u);
  let qhBase = blk + 128u + 32u * n;
  var out: array<vec4<f32>, 8>;
  for (var q = 0u; q < 8u; q++) {
    let ql = w_u32_at(qlBase + 4u * q) >> (4u * (t >> 1u));
    let qh = w_u32_at(qhBase + 4u * q) >> (2u * t);
    let lo = fields4(ql, 15u);
    let hi = fields4(qh, 3u);
    let v = small4(lo | (hi << vec4<u32>(4u)), 32.0);
    out[q] = v * select(s1, s0, q < 4u);
  }
  return out;
}
#endif

#if IQ_GRID
// The grid i-quants (src/formats/i-quants.ts has the float64 decoders): per 8 values (4 for IQ3) a
// block stores an index into a lattice of points, the type's grid (src/formats/iq-grids.ts), bound
// here as ggml stores it: point i of an 8-value grid in words 2i and 2i + 1, of a 4-value grid in
// word i, value j in byte j. It is a few KB, read through the cache like the weights.
@group(0) @binding(13) var<storage, read> iqGrid: array<u32>;

// Four grid bytes (unsigned magnitudes), negated where bits 0..3 of `signs` are set: the sign bit
// is flipped, no multiply.
fn grid_signed4(word: u32, signs: u32) -> vec4<f32> {
  let mag = small4(fields4(word, 0xffu), 0.0);
  let neg = (vec4<u32>(signs) >> vec4<u32>(0u, 1u, 2u, 3u)) & vec4<u32>(1u);
  return bitcast<vec4<f32>>(bitcast<vec4<u32>>(mag) ^ (neg << vec4<u32>(31u)));
}
// Point g of an 8-value grid, signed by the 8 bits of `signs`: values 0..3, then 4..7.
fn grid_signed8(g: u32, signs: u32) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(grid_signed4(iqGrid[2u * g], signs), grid_signed4(iqGrid[2u * g + 1u], signs >> 4u));
}
// Two points of a 4-value grid, signed by the 8 bits of `signs`.
fn grid_signed4x2(g1: u32, g2: u32, signs: u32) -> array<vec4<f32>, 2> {
  return array<vec4<f32>, 2>(grid_signed4(iqGrid[g1], signs), grid_signed4(iqGrid[g2], signs >> 4u));
}
// ggml's ksigns_iq2xs: seven stored sign bits, and an eighth that makes the count of minus signs even.
fn signs7(b: u32) -> u32 {
  return b | ((countOneBits(b) & 1u) << 7u);
}
// IQ2_XS and IQ2_S: a byte of two 4-bit scales s (values 0..15, 16..31 of a sub-block), d (0.5 + s) / 4.
fn iq2_scale_pair(d: f32, sc: u32) -> vec2<f32> {
  return d * (vec2<f32>(0.5) + vec2<f32>(f32(sc & 15u), f32(sc >> 4u))) * 0.25;
}
// IQ1 grids hold -1, 0 and 1 as signed bytes; all 8 values of a point shift by ±1/8 (IQ1S_DELTA).
fn iq1_point(g: u32, negativeShift: bool) -> array<vec4<f32>, 2> {
  let delta = select(0.125, -0.125, negativeShift);
  return array<vec4<f32>, 2>(i8x4(iqGrid[2u * g]) + delta, i8x4(iqGrid[2u * g + 1u]) + delta);
}

// Each grid type defines IQ_BLOCK_BYTES (its 256-value block), a struct IqSub with what one 32-value
// sub-block's decoding needs, and iq_sub(blk, ib), which reads it for sub-block ib of the block at
// byte blk: each field once, however many of the sub-block's points use it. iq_point(s, l): values
// 8l..8l+7 of the sub-block, unscaled; iq_scales(s): the multipliers of its values 0..15 and 16..31.
// Types with one scale per 32 values are BLOCK_SCALE types: their wblock leaves the scale to
// wblock_scale, applied once per 32 values.
fn iq_block(rowByte: u32, chunk: u32) -> u32 {
  return rowByte + (chunk >> 3u) * IQ_BLOCK_BYTES;
}
fn wblock(rowByte: u32, chunk: u32) -> array<vec4<f32>, 8> {
  let sub = iq_sub(iq_block(rowByte, chunk), chunk & 7u);
#if BLOCK_SCALE
  let s = vec2<f32>(1.0);
#else
  let s = iq_scales(sub);
#endif
  var out: array<vec4<f32>, 8>;
  for (var l = 0u; l < 4u; l++) {
    let v = iq_point(sub, l);
    out[2u * l] = v[0] * s[l >> 1u];
    out[2u * l + 1u] = v[1] * s[l >> 1u];
  }
  return out;
}
#if BLOCK_SCALE
fn wblock_scale(rowByte: u32, chunk: u32) -> f32 {
  return iq_scales(iq_sub(iq_block(rowByte, chunk), chunk & 7u)).x;
}
#endif
fn w4(rowByte: u32, k: u32) -> vec4<f32> {
  let sub = iq_sub(iq_block(rowByte, k >> 5u), (k >> 5u) & 7u);
  let l = (k >> 3u) & 3u;
  return iq_point(sub, l)[(k >> 2u) & 1u] * iq_scales(sub)[l >> 1u];
}
fn w1(rowByte: u32, k: u32) -> f32 {
  return w4(rowByte, k & ~3u)[k & 3u];
}
// Half-word l (0..3) of 8 bytes held in two words: half-words 0 and 1 in lo, 2 and 3 in hi.
fn half_of(lo: u32, hi: u32, l: u32) -> u32 {
  return (select(lo, hi, l >= 2u) >> (16u * (l & 1u))) & 0xffffu;
}
#endif

#if WEIGHT_IQ2_XXS
// block of 256: f16 d; per 32 values 8 bytes: four grid indices (8 values each), then a u32 holding
// four 7-bit sign fields and, in its top 4 bits, the scale s: y = d (0.5 + s) / 4 * ±grid.
const IQ_BLOCK_BYTES: u32 = 66u;
struct IqSub { d: f32, grid: u32, aux: u32 }
fn iq_sub(blk: u32, ib: u32) -> IqSub {
  let at = blk + 2u + 8u * ib;
  return IqSub(w_f16_at(blk), w_u32_at(at), w_u32_at(at + 4u));
}
fn iq_point(s: IqSub, l: u32) -> array<vec4<f32>, 2> {
  return grid_signed8((s.grid >> (8u * l)) & 0xffu, signs7((s.aux >> (7u * l)) & 127u));
}
fn iq_scales(s: IqSub) -> vec2<f32> {
  return vec2<f32>(s.d * (0.5 + f32(s.aux >> 28u)) * 0.25);
}
#endif

#if WEIGHT_IQ2_XS
// block of 256: f16 d; u16 qs[32] (a 9-bit grid index and 7 sign bits per 8 values); u8 scales[8]
// (two 4-bit scales per 32 values, one per 16): y = d (0.5 + s) / 4 * ±grid.
const IQ_BLOCK_BYTES: u32 = 74u;
struct IqSub { d: f32, q01: u32, q23: u32, sc: u32 }
fn iq_sub(blk: u32, ib: u32) -> IqSub {
  let at = blk + 2u + 8u * ib;
  return IqSub(w_f16_at(blk), w_u32_at(at), w_u32_at(at + 4u), w_u8_at(blk + 66u + ib));
}
fn iq_point(s: IqSub, l: u32) -> array<vec4<f32>, 2> {
  let q = half_of(s.q01, s.q23, l);
  return grid_signed8(q & 511u, signs7(q >> 9u));
}
fn iq_scales(s: IqSub) -> vec2<f32> {
  return iq2_scale_pair(s.d, s.sc);
}
#endif

#if WEIGHT_IQ2_S
// block of 256: f16 d; u8 qs[32] (grid index bits 0..7 per 8 values); u8 signs[32] (a bit per value);
// u8 qh[8] (index bits 8..9, four points per byte); u8 scales[8] as IQ2_XS. A point's signs are
// byte l of `signs`; grid_signed8 reads only the low 8 bits it is given.
const IQ_BLOCK_BYTES: u32 = 82u;
struct IqSub { d: f32, qs: u32, signs: u32, qh: u32, sc: u32 }
fn iq_sub(blk: u32, ib: u32) -> IqSub {
  return IqSub(w_f16_at(blk), w_u32_at(blk + 2u + 4u * ib), w_u32_at(blk + 34u + 4u * ib), w_u8_at(blk + 66u + ib), w_u8_at(blk + 74u + ib));
}
fn iq_point(s: IqSub, l: u32) -> array<vec4<f32>, 2> {
  let g = ((s.qs >> (8u * l)) & 0xffu) | (((s.qh >> (2u * l)) & 3u) << 8u);
  return grid_signed8(g, s.signs >> (8u * l));
}
fn iq_scales(s: IqSub) -> vec2<f32> {
  return iq2_scale_pair(s.d, s.sc);
}
#endif

#if WEIGHT_IQ3_XXS
// block of 256: f16 d; u8 qs[64] (a grid index per 4 values); per 32 values a u32 of four 7-bit sign
// fields (one per 8 values) and, in its top 4 bits, the scale s: y = d (0.5 + s) / 2 * ±grid.
const IQ_BLOCK_BYTES: u32 = 98u;
struct IqSub { d: f32, q01: u32, q23: u32, aux: u32 }
fn iq_sub(blk: u32, ib: u32) -> IqSub {
  let at = blk + 2u + 8u * ib;
  return IqSub(w_f16_at(blk), w_u32_at(at), w_u32_at(at + 4u), w_u32_at(blk + 66u + 4u * ib));
}
fn iq_point(s: IqSub, l: u32) -> array<vec4<f32>, 2> {
  let pair = half_of(s.q01, s.q23, l);
  return grid_signed4x2(pair & 0xffu, pair >> 8u, signs7((s.aux >> (7u * l)) & 127u));
}
fn iq_scales(s: IqSub) -> vec2<f32> {
  return vec2<f32>(s.d * (0.5 + f32(s.aux >> 28u)) * 0.5);
}
#endif

#if WEIGHT_IQ3_S
// block of 256: f16 d; u8 qs[64] (grid index bits 0..7 per 4 values); u8 qh[8] (bit 8, eight points
// per byte); u8 signs[32] (a bit per value); u8 scales[4] (a 4-bit s per 32 values): y = d (1 + 2s) * ±grid.
// A point pair's signs are byte l of `signs`; grid_signed4x2 reads only the low 8 bits it is given.
const IQ_BLOCK_BYTES: u32 = 110u;
struct IqSub { d: f32, q01: u32, q23: u32, qh: u32, signs: u32, sc: u32 }
fn iq_sub(blk: u32, ib: u32) -> IqSub {
  let at = blk + 2u + 8u * ib;
  let sc = (w_u8_at(blk + 106u + (ib >> 1u)) >> (4u * (ib & 1u))) & 15u;
  return IqSub(w_f16_at(blk), w_u32_at(at), w_u32_at(at + 4u), w_u8_at(blk + 66u + ib), w_u32_at(blk + 74u + 4u * ib), sc);
}
fn iq_point(s: IqSub, l: u32) -> array<vec4<f32>, 2> {
  let pair = half_of(s.q01, s.q23, l);
  let qh = s.qh >> (2u * l);
  return grid_signed4x2((pair & 0xffu) | ((qh & 1u) << 8u), (pair >> 8u) | ((qh & 2u) << 7u), s.signs >> (8u * l));
}
fn iq_scales(s: IqSub) -> vec2<f32> {
  return vec2<f32>(s.d * f32(1u + 2u * s.sc));
}
#endif

#if WEIGHT_IQ1_S
// block of 256: f16 d; u8 qs[32] (grid index bits 0..7 per 8 values); u16 qh[8], per 32 values: index
// bits 8..10 of its four points, a 3-bit scale s and the shift's sign: y = d (2s + 1) (grid ± 1/8).
const IQ_BLOCK_BYTES: u32 = 50u;
struct IqSub { d: f32, qs: u32, qh: u32 }
fn iq_sub(blk: u32, ib: u32) -> IqSub {
  return IqSub(w_f16_at(blk), w_u32_at(blk + 2u + 4u * ib), w_u16_at(blk + 34u + 2u * ib));
}
fn iq_point(s: IqSub, l: u32) -> array<vec4<f32>, 2> {
  return iq1_point(((s.qs >> (8u * l)) & 0xffu) | (((s.qh >> (3u * l)) & 7u) << 8u), (s.qh & 0x8000u) != 0u);
}
fn iq_scales(s: IqSub) -> vec2<f32> {
  return vec2<f32>(s.d * f32(2u * ((s.qh >> 12u) & 7u) + 1u));
}
#endif

#if WEIGHT_IQ1_M
// block of 256 (no d field): u8 qs[32] (grid index bits 0..7 per 8 values); u8 qh[16], a nibble per
// point: index bits 8..10 and its shift's sign; u16 scales[4]: per 32 values two 3-bit scales s (one
// per 16), and in the four top nibbles the f16 d. y = d (2s + 1) (grid ± 1/8).
const IQ_BLOCK_BYTES: u32 = 56u;
struct IqSub { d: f32, qs: u32, qh: u32, sc: u32 }
fn iq_sub(blk: u32, ib: u32) -> IqSub {
  let s01 = w_u32_at(blk + 48u);
  let s23 = w_u32_at(blk + 52u);
  let d = unpack2x16float(((s01 >> 12u) & 0xfu) | ((s01 >> 24u) & 0xf0u) | ((s23 >> 4u) & 0xf00u) | ((s23 >> 16u) & 0xf000u)).x;
  // The sub-block's two 3-bit scales: 6 bits of scales[ib / 2], the low or the high ones.
  let sc = select(s01, s23, ib >= 4u) >> (16u * ((ib >> 1u) & 1u) + 6u * (ib & 1u));
  return IqSub(d, w_u32_at(blk + 4u * ib), w_u16_at(blk + 32u + 2u * ib), sc);
}
fn iq_point(s: IqSub, l: u32) -> array<vec4<f32>, 2> {
  // Point l's nibble of the sub-block's two qh bytes.
  let h = s.qh >> (4u * l);
  return iq1_point(((s.qs >> (8u * l)) & 0xffu) | ((h & 7u) << 8u), (h & 8u) != 0u);
}
fn iq_scales(s: IqSub) -> vec2<f32> {
  return s.d * vec2<f32>(f32(2u * (s.sc & 7u) + 1u), f32(2u * ((s.sc >> 3u) & 7u) + 1u));
}
#endif

#if !BLOCK_SCALE
fn wblock_scale(rowByte: u32, blk: u32) -> f32 {
  return 1.0;
}
#endif
