//! The CPU time a server process has used, from `/proc/PID/stat` (Linux),
//! read before and after each batch of round trips or wrk run.

use std::time::Duration;

/// `getconf CLK_TCK` on Linux, everywhere but on exotic kernels.
const CLOCK_TICKS_PER_SECOND: u64 = 100;

/// The CPU time process `pid` has used so far, user and system, all its
/// threads, from `/proc/PID/stat` (Linux; `None` elsewhere or once it has
/// exited). Its resolution is a clock tick, 10 ms: what is reported is the
/// sum over many calls.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    parse(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// utime + stime from the text of `/proc/PID/stat`.
fn parse(stat: &str) -> Option<Duration> {
    // After the command name in parentheses (which may hold spaces and
    // parentheses itself): state, ppid, ... with utime and stime the 12th
    // and 13th fields.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 1000 / CLOCK_TICKS_PER_SECOND))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_utime_and_stime() {
        let stat = "4242 (tokio (rt) x) S 1 4242 4242 0 -1 4194560 5000 0 0 0 \
                    250 37 0 0 20 0 9 0 123456 1000000 2000 18446744073709551615";
        assert_eq!(parse(stat), Some(Duration::from_millis(2870)));
        assert_eq!(parse("4242 (moat) S 1"), None);
        assert!(cpu_time(std::process::id()).is_some());
    }
}
