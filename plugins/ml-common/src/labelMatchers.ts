/**
 * One Prometheus / Alertmanager label matcher, e.g. `model="fraud-detector"`.
 *
 * @public
 */
export interface LabelMatcher {
  /** Label name, `[a-zA-Z_][a-zA-Z0-9_]*`. */
  name: string;
  /** `=` equal, `!=` not equal, `=~` regex match, `!~` regex non-match. */
  op: '=' | '!=' | '=~' | '!~';
  /** The unquoted, unescaped value. */
  value: string;
}

const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';

/**
 * A Prometheus label name, as Prometheus and Alertmanager accept it.
 *
 * @public
 */
export const LABEL_NAME_PATTERN = new RegExp(`^${LABEL_NAME}$`);

/**
 * The operators of a {@link LabelMatcher}.
 *
 * @public
 */
export const LABEL_MATCHER_OPS: ReadonlyArray<LabelMatcher['op']> = [
  '=',
  '!=',
  '=~',
  '!~',
];

const MATCHER = new RegExp(
  String.raw`^\s*(${LABEL_NAME})\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)`,
);

/**
 * Checks a matcher built in code rather than by {@link parseLabelMatchers}
 * before it is written into a query: its name and operator.
 *
 * @throws TypeError naming the bad name or operator.
 * @public
 */
export function checkLabelMatcher(matcher: LabelMatcher): void {
  if (!LABEL_NAME_PATTERN.test(matcher.name)) {
    throw new TypeError(`invalid label name ${JSON.stringify(matcher.name)}`);
  }
  if (!LABEL_MATCHER_OPS.includes(matcher.op)) {
    throw new TypeError(
      `invalid matcher operator ${JSON.stringify(matcher.op)}`,
    );
  }
}

function unquote(quoted: string): string {
  try {
    // PromQL strings use the same escapes as JSON for everything we accept.
    return JSON.parse(`"${quoted}"`);
  } catch {
    throw new TypeError(`invalid escape sequence in "${quoted}"`);
  }
}

/**
 * Parses a comma-separated list of label matchers as written in the
 * `mlplatform.io/metrics-selector` and `mlplatform.io/alert-selector`
 * annotations: `namespace="fraud", model=~"fraud-.*"`. Values must be
 * double-quoted. Annotation text is never pasted into PromQL; callers build
 * queries from the parsed matchers.
 *
 * @returns the matchers, at least one.
 * @throws TypeError naming the position of the first problem.
 * @public
 */
export function parseLabelMatchers(text: string): LabelMatcher[] {
  const matchers: LabelMatcher[] = [];
  let rest = text;
  let offset = 0;
  while (rest.trim() !== '') {
    const match = MATCHER.exec(rest);
    if (!match) {
      throw new TypeError(
        `expected name="value" at character ${offset + 1} of ${JSON.stringify(
          text,
        )}`,
      );
    }
    const [whole, name, op, quoted] = match;
    matchers.push({
      name,
      op: op as LabelMatcher['op'],
      value: unquote(quoted),
    });
    rest = rest.slice(whole.length);
    offset += whole.length;
  }
  if (matchers.length === 0) {
    throw new TypeError('expected at least one name="value" matcher');
  }
  return matchers;
}
