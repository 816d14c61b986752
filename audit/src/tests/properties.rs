use proptest::prelude::*;

use super::{join, lines, log};
use crate::{Verify, verify};

/// A log of 2 to 40 lines and a line of it, by index.
fn log_and_line() -> impl Strategy<Value = (u64, usize)> {
    (2u64..40).prop_flat_map(|count| (Just(count), 0..count as usize))
}

proptest! {
    #[test]
    fn any_changed_byte_of_a_line_but_the_last_is_found_there(
        (count, index) in log_and_line(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        prop_assume!(index + 1 < count as usize && byte != b'\n');
        let mut lines = lines(&log(count));
        let at = at.index(lines[index].len());
        prop_assume!(lines[index][at] != byte);
        lines[index][at] = byte;
        let report = verify(&join(&lines)[..]).unwrap();
        prop_assert!(report.lines_named().contains(&(index as u64 + 1)), "{}", report);
    }

    #[test]
    fn any_changed_byte_is_found_against_the_kept_hash(
        (count, index) in log_and_line(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let log = log(count);
        let kept = verify(&log[..]).unwrap().last_hash;
        let mut lines = lines(&log);
        let at = at.index(lines[index].len());
        prop_assume!(lines[index][at] != byte && byte != b'\n');
        lines[index][at] = byte;
        let report = Verify { anchor: Some(kept) }.run(&join(&lines)[..]).unwrap();
        prop_assert!(!report.is_intact());
    }

    #[test]
    fn a_removed_line_but_the_last_is_found_where_it_was((count, index) in log_and_line()) {
        prop_assume!(index + 1 < count as usize);
        let mut lines = lines(&log(count));
        lines.remove(index);
        let report = verify(&join(&lines)[..]).unwrap();
        prop_assert_eq!(report.lines_named(), vec![index as u64 + 1], "{}", report);
    }

    #[test]
    fn swapped_lines_are_both_found((count, index) in log_and_line()) {
        prop_assume!(index + 1 < count as usize);
        let mut lines = lines(&log(count));
        lines.swap(index, index + 1);
        let report = verify(&join(&lines)[..]).unwrap();
        let line = index as u64 + 1;
        prop_assert_eq!(report.lines_named(), vec![line, line + 1], "{}", report);
    }

    #[test]
    fn any_two_lines_swapped_are_the_two_found(
        (count, index) in log_and_line(),
        other in any::<prop::sample::Index>(),
    ) {
        let mut lines = lines(&log(count));
        let other = other.index(count as usize);
        prop_assume!(other != index);
        lines.swap(index, other);
        let report = verify(&join(&lines)[..]).unwrap();
        let (first, second) = (index.min(other) as u64 + 1, index.max(other) as u64 + 1);
        let named = report.lines_named();
        prop_assert!(named.contains(&first) && named.contains(&second), "{}", report);
        // Nothing outside the two is named; lines further apart than two
        // are the only ones named (two apart, the line between is too).
        prop_assert!(named.iter().all(|line| (first..=second).contains(line)), "{}", report);
        if second - first > 2 {
            prop_assert_eq!(named, vec![first, second], "{}", report);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_line_moved_elsewhere_is_found_where_it_went(
        (count, index) in log_and_line(),
        to in any::<prop::sample::Index>(),
    ) {
        let mut lines = lines(&log(count));
        let moved = lines.remove(index);
        let to = to.index(lines.len() + 1);
        prop_assume!(to != index);
        lines.insert(to, moved);
        let report = verify(&join(&lines)[..]).unwrap();
        prop_assert!(report.lines_named().contains(&(to as u64 + 1)), "{}", report);
    }
}
