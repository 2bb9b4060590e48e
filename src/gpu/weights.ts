import { rowBytes as rowBytesOf, type WeightDtype } from '../formats/dtypes.ts';

/**
 * A weight matrix [rows, cols] on the GPU, kept in its stored format. A matrix larger than one storage
 * binding is split by rows into shards, each its own buffer (e.g. a 151936 x 3584 embedding).
 */
export interface GpuWeight {
  name: string;
  dtype: WeightDtype;
  rows: number;
  cols: number;
  rowBytes: number;
  shards: WeightShard[];
  /** u32 [cols]: stored column k multiplies input feature inputOrder[k] (GPTQ act-order). */
  inputOrder?: GPUBuffer;
}

export interface WeightShard {
  buffer: GPUBuffer;
  rowStart: number;
  nRows: number;
  /** f32 [nRows] slice of the bias when the layer has one. */
  bias?: GPUBuffer;
}

/** Rows per shard so that one shard fits in a binding (and a buffer). */
export function rowsPerShard(rowBytes: number, rows: number, maxBindingBytes: number): number {
  // +4: kernels may read one word past a row's last byte (unaligned block reads).
  const fit = Math.floor((maxBindingBytes - 4) / rowBytes);
  if (fit < 1) throw new RangeError(`one row of ${rowBytes} bytes exceeds the ${maxBindingBytes}-byte binding limit`);
  return Math.min(rows, fit);
}

/** Shard buffer size: row bytes rounded up to whole words, plus one spare word. */
export function shardBufferBytes(rowBytes: number, nRows: number): number {
  return Math.ceil((rowBytes * nRows) / 4) * 4 + 4;
}

export interface WeightSpec {
  name: string;
  dtype: WeightDtype;
  rows: number;
  cols: number;
}

export interface UploadOptions {
  maxBindingBytes: number;
  /** Bytes per read from the source: bounds memory while streaming. */
  chunkBytes?: number;
  /** Row r of the GPU copy is row `sourceRow(r)` of the file (GGUF llama Q/K are stored permuted). */
  sourceRow?: (row: number) => number;
  bias?: Float32Array;
  /** Stored column k multiplies input feature columnOrder[k]. */
  columnOrder?: Uint32Array;
  /** Called with bytes written so far, for progress bars. */
  onBytes?: (n: number) => void;
}

const DEFAULT_CHUNK = 16 << 20;

/**
 * Streams a weight from `read(byteOffset, length)` into shard buffers, a chunk at a time: the tensor is
 * never held whole in one ArrayBuffer.
 */
export async function uploadWeight(
  device: GPUDevice,
  spec: WeightSpec,
  read: (byteOffset: number, length: number) => Promise<Uint8Array>,
  opts: UploadOptions,
): Promise<GpuWeight> {
  const rowBytes = rowBytesOf(spec.dtype, spec.cols);
  const perShard = rowsPerShard(rowBytes, spec.rows, opts.maxBindingBytes);
  const chunkRows = Math.max(1, Math.floor((opts.chunkBytes ?? DEFAULT_CHUNK) / rowBytes));
  const shards: WeightShard[] = [];
  for (let rowStart = 0; rowStart < spec.rows; rowStart += perShard) {
    const nRows = Math.min(perShard, spec.rows - rowStart);
    const buffer = device.createBuffer({
      label: `${spec.name} [${rowStart}, ${rowStart + nRows})`,
      size: shardBufferBytes(rowBytes, nRows),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    for (let r = 0; r < nRows; r += chunkRows) {
      const n = Math.min(chunkRows, nRows - r);
      let bytes: Uint8Array;
      if (opts.sourceRow) {
        // Permutations are local (within a head): read the span of source rows once, then reorder.
        const src = Array.from({ length: n }, (_, i) => opts.sourceRow!(rowStart + r + i));
        const lo = src.reduce((a, b) => Math.min(a, b));
        const hi = src.reduce((a, b) => Math.max(a, b));
        const span = await read(lo * rowBytes, (hi - lo + 1) * rowBytes);
        bytes = new Uint8Array(n * rowBytes);
        src.forEach((s, i) => bytes.set(span.subarray((s - lo) * rowBytes, (s - lo + 1) * rowBytes), i * rowBytes));
      } else {
        bytes = await read((rowStart + r) * rowBytes, n * rowBytes);
      }
      writePadded(device, buffer, r * rowBytes, bytes);
      opts.onBytes?.(n * rowBytes);
    }
    const shard: WeightShard = { buffer, rowStart, nRows };
    // COPY_SRC: a fused q/k/v GEMV packs the three biases into one buffer.
    if (opts.bias) shard.bias = createF32Buffer(device, `${spec.name} bias`, opts.bias.subarray(rowStart, rowStart + nRows), GPUBufferUsage.COPY_SRC);
    shards.push(shard);
  }
  const weight: GpuWeight = { ...spec, rowBytes, shards };
  if (opts.columnOrder) {
    if (opts.columnOrder.length !== spec.cols) throw new RangeError(`${spec.name}: column order of ${opts.columnOrder.length} for ${spec.cols} columns`);
    weight.inputOrder = device.createBuffer({ label: `${spec.name} column order`, size: spec.cols * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(weight.inputOrder, 0, opts.columnOrder);
  }
  return weight;
}

/**
 * writeBuffer wants 4-byte aligned offsets and sizes, but quantized rows (18 or 34 bytes) are not:
 * an unaligned chunk is widened to whole words, merging with the bytes already written before it.
 * Chunks are written in order, so the widened head only repeats bytes of the previous chunk.
 */
const carried = new WeakMap<GPUBuffer, { end: number; tail: Uint8Array }>();

function writePadded(device: GPUDevice, buffer: GPUBuffer, offset: number, bytes: Uint8Array): void {
  const start = offset & ~3;
  const head = offset - start;
  const total = Math.ceil((head + bytes.length) / 4) * 4;
  const staged = new Uint8Array(total);
  if (head) {
    const prev = carried.get(buffer);
    if (!prev || prev.end !== offset) throw new Error('unaligned weight chunks must be written in order');
    staged.set(prev.tail.subarray(prev.tail.length - head), 0);
  }
  staged.set(bytes, head);
  device.queue.writeBuffer(buffer, start, staged);
  carried.set(buffer, { end: offset + bytes.length, tail: bytes.subarray(Math.max(0, bytes.length - 4)) });
}

export function createF32Buffer(device: GPUDevice, label: string, data: Float32Array, extraUsage = 0): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(4, Math.ceil(data.byteLength / 4) * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | extraUsage,
  });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}
