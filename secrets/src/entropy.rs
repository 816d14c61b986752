//! Shannon entropy, and the test a value beside a key-like name must pass
//! to count as a secret.

/// Shortest value beside a key-like name that may count as a secret, in
/// characters. Shorter values there are mostly words, enum values and
/// placeholders (`bearer`, `required`, `changeme`); 12 is also the shortest
/// length at which a random alphanumeric string reliably scores over
/// [`MIN_ENTROPY`] (a random 12-character string has about 3.4 bits per
/// character, the most 12 characters can have being log2 12 = 3.58).
pub const MIN_LENGTH: usize = 12;

/// Least Shannon entropy, in bits per character, of a value beside a
/// key-like name that counts as a secret. Random hex scores about 3.2 at 12
/// characters and up to 4 at 64; random base64 and alphanumerics about 3.4
/// at 12 and 4.5 or more at 32; a repeated or patterned placeholder
/// (`xxxxxxxxxxxx`, `123412341234`, `hunter2hunter2`) under 3. English
/// words can score over 3 too (`configuration` is 3.2), so the value must
/// also mix letters and digits (see [`looks_random`]). gitleaks' generic
/// rule uses 3.7 over any key-like context; ours is lower because the
/// context is stricter (the name must end in the key word).
pub const MIN_ENTROPY: f64 = 3.0;

/// Least entropy of a value without digits that counts as a secret (mixed
/// case, at least [`MIN_LETTERS_LENGTH`] characters): random letters score
/// about 4.2 at 24 characters, camel-case identifiers about 3.8.
pub const MIN_LETTERS_ENTROPY: f64 = 4.0;

/// Shortest value without digits that may count as a secret.
pub const MIN_LETTERS_LENGTH: usize = 24;

/// Shannon entropy of `text`'s bytes, in bits per byte: 0 for a repeated
/// byte, log2 n for n distinct bytes.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts = [0usize; 256];
    for byte in text.bytes() {
        counts[byte as usize] += 1;
    }
    let len = text.len() as f64;
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let p = count as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// Whether `value`, found beside a key-like name, looks like a generated
/// secret rather than a word, a placeholder or a sentence: no whitespace,
/// at least [`MIN_LENGTH`] characters, letters and digits mixed with at
/// least [`MIN_ENTROPY`] bits per character (or, without digits, mixed case
/// over [`MIN_LETTERS_LENGTH`] characters with [`MIN_LETTERS_ENTROPY`]),
/// and not already a redaction marker.
pub fn looks_random(value: &str) -> bool {
    let chars = value.chars().count();
    if chars < MIN_LENGTH || value.chars().any(char::is_whitespace) || value.contains("[REDACTED:")
    {
        return false;
    }
    let digit = value.bytes().any(|b| b.is_ascii_digit());
    let lower = value.bytes().any(|b| b.is_ascii_lowercase());
    let upper = value.bytes().any(|b| b.is_ascii_uppercase());
    let entropy = shannon_entropy(value);
    if digit && (lower || upper) {
        entropy >= MIN_ENTROPY
    } else {
        lower && upper && chars >= MIN_LETTERS_LENGTH && entropy >= MIN_LETTERS_ENTROPY
    }
}
