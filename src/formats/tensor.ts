import type { ByteSource } from './source.ts';
import type { WeightDtype } from './dtypes.ts';

/**
 * One tensor inside a model file, located but not read.
 * `shape` is in PyTorch order (outermost first): a Linear weight is [outFeatures, inFeatures],
 * whatever order the file stores its dims in (GGUF stores them reversed).
 */
export interface TensorEntry {
  name: string;
  /** The storage type, or the file's own name for a type this runtime cannot compute with. */
  dtype: WeightDtype | { unsupported: string };
  shape: number[];
  source: ByteSource;
  /** Absolute byte offset of the first element in `source`. */
  offset: number;
  byteLength: number;
  /**
   * Rows whose columns are stored in another order (GPTQ act-order groups made contiguous): stored
   * column k holds input feature columnOrder[k].
   */
  columnOrder?: Uint32Array;
}
