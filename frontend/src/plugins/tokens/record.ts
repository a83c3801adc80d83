/** Typed access to a tbs_tokens record (docs/http_api.md, "tbs_tokens"). */
import type { TypedArray, WireRecord } from "../../lib/wire";

export interface TokensMeta {
  batch: number;
  length: number;
  k: number;
  vocab_size: number;
  num_targets: number;
  loss: number | null;
  perplexity: number | null;
  seq_loss: (number | null)[];
  seq_perplexity: (number | null)[];
  special_ids: number[];
  vocab?: string[];
}

export type Metric = "target_prob" | "entropy" | "rank" | "loss";

export const METRICS: { value: Metric; label: string }[] = [
  { value: "target_prob", label: "target probability" },
  { value: "entropy", label: "entropy" },
  { value: "rank", label: "target rank" },
  { value: "loss", label: "loss" },
];

export interface TokensRecord {
  meta: TokensMeta;
  batch: number;
  length: number;
  k: number;
  inputIds: TypedArray;
  targets: TypedArray;
  mask: TypedArray;
  topkIds: TypedArray;
  topkProbs: TypedArray;
  entropy: TypedArray;
  loss: TypedArray;
  rank: TypedArray;
  /** Token text by id; undefined when no tokenizer was given. */
  text: Map<number, string> | null;
  special: Set<number>;
}

export function toTokensRecord(wire: WireRecord<TokensMeta>): TokensRecord {
  const a = (name: string) => {
    const array = wire.arrays[name];
    if (!array) throw new Error(`tbs_tokens record lacks ${name}`);
    return array.data;
  };
  const meta = wire.meta;
  const vocabIds = a("vocab_ids");
  const text = meta.vocab ? new Map(Array.from(vocabIds, (id, i) => [id, meta.vocab![i]] as [number, string])) : null;
  return {
    meta,
    batch: meta.batch,
    length: meta.length,
    k: meta.k,
    inputIds: a("input_ids"),
    targets: a("targets"),
    mask: a("mask"),
    topkIds: a("topk_ids"),
    topkProbs: a("topk_probs"),
    entropy: a("entropy"),
    loss: a("loss"),
    rank: a("rank"),
    text,
    special: new Set(meta.special_ids),
  };
}

/** The value of `metric` for the prediction made at flat position `i`; NaN where undefined. */
export function metricValue(record: TokensRecord, metric: Metric, i: number): number {
  switch (metric) {
    case "target_prob":
      return Math.exp(-record.loss[i]);
    case "entropy":
      return record.entropy[i];
    case "rank":
      return record.rank[i] > 0 ? record.rank[i] : NaN;
    case "loss":
      return record.loss[i];
  }
}

/** Colour scale position in [0, 1] of a metric value (1 = confident and right); NaN stays NaN. */
export function metricPosition(record: TokensRecord, metric: Metric, value: number): number {
  switch (metric) {
    case "target_prob":
      return value;
    case "entropy":
      return 1 - value / Math.log(Math.max(2, record.meta.vocab_size));
    case "rank":
      return 1 - Math.log(value) / Math.log(Math.max(2, record.meta.vocab_size));
    case "loss":
      return 1 - Math.min(1, value / Math.log(Math.max(2, record.meta.vocab_size)));
  }
}

/**
 * A token's text made visible: a leading space as "␣", newlines "↵", tabs "→", other control
 * characters as "␀"-style symbols; the id in angle brackets when the text is unknown.
 */
export function visibleText(record: TokensRecord, id: number): string {
  if (id < 0 && !record.text?.has(id)) return "?";
  const raw = record.text?.get(id);
  if (raw === undefined) return `#${id}`;
  if (raw === "") return "∅";
  return raw
    .replace(/^ /, "␣")
    .replace(/\r?\n/g, "↵")
    .replace(/\t/g, "→")
    .replace(/ /g, "·")
    // eslint-disable-next-line no-control-regex -- control characters are what this replaces
    .replace(/[\u0000-\u0008\u000b-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)));
}
