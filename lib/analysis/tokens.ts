/**
 * Conservative token estimate for Gemini-style (SentencePiece) tokenizers, without a tokenizer.
 *
 * Plain `chars / 4` badly undercounts what logs are made of: Gemini's vocabulary splits numbers into
 * single digits, and hex ids, base64 and punctuation-heavy text tokenize at 1–2 characters per token.
 * So the estimate charges:
 * - a run of ASCII letters: 1 token per 5 letters (rounded up), plus 1 at each lower→upper case switch
 *   (camelCase, random mixed-case ids);
 * - each digit: 1 token;
 * - ASCII punctuation: 1/2 token each (pairs like `":` or `),` usually merge);
 * - a run of 2+ spaces or any tab/newline: 1 token; single spaces ride with the next word;
 * - each non-ASCII UTF-16 unit: 1 token (CJK is ~1 token per character; emoji are two units).
 * On English prose this lands about 10–30% above real counts; on timestamps and hex it is close to real,
 * where chars/4 would be off by 2–3x. Over-estimating is the safe side for a budget.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  let letters = 0;
  let prevLower = false;
  let spaces = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const lc = c | 32;
    if (lc >= 97 && lc <= 122) {
      const upper = c < 97;
      if (upper && prevLower) {
        tokens += Math.ceil(letters / 5);
        letters = 0;
      }
      prevLower = !upper;
      letters++;
      if (spaces > 1) tokens += 1;
      spaces = 0;
      continue;
    }
    if (letters) {
      tokens += Math.ceil(letters / 5);
      letters = 0;
      prevLower = false;
    }
    if (c === 32) {
      spaces++;
      continue;
    }
    if (spaces > 1) tokens += 1;
    spaces = 0;
    if (c >= 48 && c <= 57) tokens += 1;
    else if (c === 9 || c === 10 || c === 13) tokens += 1;
    else if (c < 128) tokens += 0.5;
    else tokens += 1;
  }
  if (letters) tokens += Math.ceil(letters / 5);
  if (spaces > 1) tokens += 1;
  return Math.ceil(tokens);
}
