/** Data types of header entries (`rpmTagType` in rpm's `rpmtag.h`). */
export const TagType = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** One of the {@link TagType} values. */
export type TagType = (typeof TagType)[keyof typeof TagType];

/** Byte size of one element; -1 for the NUL-terminated string types (rpm's `typeSizes`). */
export function typeSize(type: number): number {
  switch (type) {
    case TagType.CHAR:
    case TagType.INT8:
    case TagType.BIN:
      return 1;
    case TagType.INT16:
      return 2;
    case TagType.INT32:
      return 4;
    case TagType.INT64:
      return 8;
    case TagType.STRING:
    case TagType.STRING_ARRAY:
    case TagType.I18NSTRING:
      return -1;
    default:
      return 0;
  }
}

/** Alignment rpm demands of a data offset for the type (rpm's `typeAlign`). */
export function typeAlign(type: number): number {
  const size = typeSize(type);
  return size > 1 ? size : 1;
}

/** rpm's tag classes: string types may stand in for one another in the main header's type check. */
export function isStringType(type: number): boolean {
  return type === TagType.STRING || type === TagType.STRING_ARRAY || type === TagType.I18NSTRING;
}
