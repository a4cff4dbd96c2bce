//! How long the Lobby folds roster changes before it sends the next ones (`lobby/fanout.rs`): a
//! frame costs the runtime ~40 µs per viewer (bench/README.md "Lobby scale"), so the wait grows
//! with the viewers and a lobby's frames per second stay bounded however fast rosters change.

/// The wait after a flush for `viewers` open sidebars: viewers / 10 ms, at most a second — none to
/// speak of for a small space, 100 ms at 1,000 sidebars, 500 ms at 5,000.
pub fn gap_ms(viewers: usize) -> u64 {
    (viewers as u64 / 10).min(1000)
}

#[cfg(test)]
mod tests {
    use super::gap_ms;

    #[test]
    fn the_gap_grows_with_the_viewers() {
        assert_eq!((gap_ms(0), gap_ms(9), gap_ms(100)), (0, 0, 10));
        assert_eq!((gap_ms(1_000), gap_ms(5_000), gap_ms(50_000)), (100, 500, 1000));
    }
}
