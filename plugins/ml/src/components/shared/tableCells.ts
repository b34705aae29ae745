/*
 * Cell styles for tables inside cards. Cards break long words anywhere by
 * default, which crushes a narrow table into "Ver|sio|n" and "PROMO|TE";
 * these keep whole words (or one line) with a card's narrower padding, and
 * the table scrolls sideways in its `overflowX: auto` box when it must.
 * Inline styles, so they win over the cell's own classes.
 */

/** Wraps between words only. */
export const wholeWords = {
  wordBreak: 'normal',
  overflowWrap: 'normal',
  padding: '6px 8px',
} as const;

/** One line: names, times, sizes, numbers and buttons. */
export const oneLine = { ...wholeWords, whiteSpace: 'nowrap' } as const;

/** A long token (a URL) may break anywhere, but only past `minWidth`. */
export const longToken = (minWidth: number) =>
  ({ ...wholeWords, overflowWrap: 'anywhere', minWidth } as const);
