//! Obviously fake secrets of every kind (the AWS documentation's example
//! keys, the jwt.io example token, made-up tokens of the right shapes).

pub const AWS_ACCESS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
pub const AWS_SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const GITHUB_TOKEN: &str = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789";
pub const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
pub const RSA_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAfakefakefakefakefakefakefakefakefake0123456789\nZmFrZWZha2VmYWtlZmFrZQ==\n-----END RSA PRIVATE KEY-----";
pub const OPENSSH_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBmYWtlZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZQAAAJg=\n-----END OPENSSH PRIVATE KEY-----";

/// `prefix` and `n` characters cycling through letters and digits.
pub fn shaped(prefix: &str, n: usize) -> String {
    let alphabet = b"aB3dE5gH7jK9mN1pQ2sT4vW6yZ8cF0";
    let body: String = (0..n)
        .map(|i| alphabet[(i * 7 + i / 30) % alphabet.len()] as char)
        .collect();
    format!("{prefix}{body}")
}
