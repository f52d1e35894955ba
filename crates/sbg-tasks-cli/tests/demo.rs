//! `sbg-tasks demo`: the README's main job completes with exit 0 over both transports, with no
//! account and no configuration at all.

mod common;

use common::*;

#[test]
fn the_demo_walks_through_every_step_over_both_transports() {
    let home = Home::new();
    for t in TRANSPORTS {
        let o = sbg(&home, &["demo", "--transport", t, "--interval", "0.05"]);
        assert_code(&o, 0);
        let out = stdout(&o);
        for needle in [
            "1. Get the documented example task",
            "2. Read the documented batch answer",
            "repaired single-quoted string",
            "3. Run a DRAFT task",
            "4. Rerun the finished example task",
            "5. Wait for task",
            "ended COMPLETED",
            "6. A typed API error",
            "code 7007",
            "only-for-draft = true",
            "7. A survived fault",
            "-> 429",
            "-> 200",
            "8. A bulk rerun of a batch task's failed children, killed halfway",
            "killed after 2 outcomes",
            "(earlier run)",
            "6 of 6 failed children have exactly one copy, and it ran",
            "Done:",
        ] {
            assert!(out.contains(needle), "{t}: missing {needle:?} in\n{out}");
        }
        // Waiting shows each poll when stdout is not a terminal.
        assert!(out.contains("poll  1"), "{t}: {out}");
        assert!(out.contains(t), "{t}: the transport is named\n{out}");
        assert!(!out.contains("demo-0000-not-a-real-token"), "{out}");
    }
}
