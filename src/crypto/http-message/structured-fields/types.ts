/** RFC 8941 values as Keyward's parser returns them. */
export type BareItem =
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'decimal'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'token'; readonly value: string }
  | { readonly type: 'binary'; readonly value: Buffer }
  | { readonly type: 'boolean'; readonly value: boolean };

/** Parameters in order of first appearance (a duplicate key overwrites the value in place). */
export type Parameters = ReadonlyMap<string, BareItem>;

export interface Item {
  readonly kind: 'item';
  readonly value: BareItem;
  readonly params: Parameters;
}

export interface InnerList {
  readonly kind: 'inner-list';
  readonly items: readonly Item[];
  readonly params: Parameters;
}

export type DictionaryMember = Item | InnerList;

export interface Dictionary {
  /** Members in order of first appearance; for a duplicate key the last value wins (RFC 8941). */
  readonly members: ReadonlyMap<string, DictionaryMember>;
  /** Member keys that occurred more than once, once per extra occurrence. Empty when none. */
  readonly duplicates: readonly string[];
  /**
   * Parameter keys that occurred more than once on the same member or item, as
   * `member;param` (member or Inner List parameters) or `member[i];param` (parameters of item i
   * of the member's Inner List). Empty when none.
   */
  readonly duplicateParameters: readonly string[];
}

export interface StructuredFieldLimits {
  /** Longest accepted field value in characters (default 16384). */
  maxLength?: number;
  /** Most dictionary members, duplicates included (default 64). */
  maxMembers?: number;
  /** Most items in one Inner List (default 64). */
  maxInnerListItems?: number;
  /** Most parameters on one item or Inner List, duplicates included (default 32). */
  maxParameters?: number;
}
