//! The end-to-end tests of both transports (the `tests/` of `sbg-tasks-ureq` and of
//! `sbg-tasks-hyper`), written once: each scenario is a function of [`scenarios`](mod@scenarios) over a
//! [`Harness`](driver::Harness), and [`scenarios!`] makes one `#[test]` per scenario in a
//! transport's test file, which only says how that transport makes its clients. The setup
//! (mock, settings, transport options) and the checks of what the mock saw are here too, for
//! the tests that stay with one transport. A dev-dependency only; not published.
//!
//! # In scope
//! - [`driver`]: [`Driver`](driver::Driver), the client's calls with blocking signatures,
//!   for every `BlockingClient` and for an `AsyncClient` on a tokio runtime
//!   ([`OnRuntime`](driver::OnRuntime)); [`Harness`](driver::Harness), how a transport makes
//!   clients.
//! - [`scenarios`](mod@scenarios) and [`scenarios!`]: every scenario both transports run.
//! - Setup: [`TOKEN`], [`mock_builder`], [`config`], [`fast_retry`], [`fast_settings`],
//!   [`transport_options`], [`draft`].
//! - [`faults`], [`lifecycle`] and [`changes`]: setup and checks of the scenarios, and of the
//!   tests that stay with one transport (body cap, timeouts, TLS, redirects).
//!
//! # Out of scope
//! - Tests about one transport (timeouts, caps, TLS roots, proxies, resolvers, many
//!   concurrent calls): each transport's `tests/` keeps them.

pub mod bulk;
pub mod changes;
pub mod driver;
pub mod faults;
pub mod gzip;
pub mod lifecycle;
pub mod scenarios;
mod setup;

pub use setup::{config, draft, fast_retry, fast_settings, mock_builder, transport_options, TOKEN};

/// One `#[test]` per scenario of [`scenarios`](mod@scenarios), each running it over the harness that
/// `$harness` makes (evaluated afresh in each test), e.g.
/// `sbg_tasks_testkit::scenarios!(Ureq);`. Every scenario is listed here, so no transport
/// can leave one out (a test of this crate checks the list against [`scenarios`](mod@scenarios)).
#[macro_export]
macro_rules! scenarios {
    ($harness:expr) => {
        $crate::scenarios!(@each $harness;
            every_operation_end_to_end_over_http,
            every_operation_end_to_end_over_tls_with_the_mock_certificate,
            faults_on_reads_are_retried_until_they_pass,
            final_faults_give_typed_errors_without_retrying,
            a_rerun_under_faults_makes_exactly_one_task,
            a_run_whose_answer_was_lost_returns_the_running_task,
            a_rate_limited_call_waits_for_the_window_to_reset,
            wait_refuses_a_draft_and_follows_a_run_to_its_end,
            a_closure_transport_drives_the_same_client,
            create_surfaces_validation_errors_and_runs_with_action_run,
            abort_ends_a_running_task_and_a_finished_one_is_a_typed_error,
            listing_walks_every_page_lazily_with_filters_and_total,
            batch_children_are_the_list_with_parent,
            execution_details_are_typed_and_the_rate_limit_is_free,
            modifying_a_draft_changes_what_is_read_back,
            a_started_task_can_only_be_renamed,
            deleting_a_draft_removes_it_and_a_started_task_is_refused,
            inputs_round_trip_and_are_validated_again,
            bulk_get_answers_every_id_in_order_in_requests_of_a_hundred,
            listing_filters_batch_and_origin_and_create_can_turn_batching_off,
            bulk_gets_are_retried_through_faults_like_a_get,
            an_update_is_retried_and_answers_the_modified_task,
            a_delete_whose_answer_was_lost_is_already_gone,
            extra_headers_are_sent_and_the_token_stays_out_of_the_journal,
            concurrent_waits_share_their_polls,
            wait_all_and_wait_any_follow_a_fleet_with_bulk_gets,
            a_bulk_rerun_copies_and_runs_each_failed_task_once_through_a_lost_answer_and_a_resume,
        );
    };
    (@each $harness:expr; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                $crate::scenarios::$name(&$harness);
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    /// Every public function of `scenarios.rs` is in the list of [`scenarios!`], and the list
    /// names nothing else.
    #[test]
    fn every_scenario_is_in_the_macro() {
        let names = |src: &str, prefix: &str| -> Vec<String> {
            src.lines()
                .filter_map(|l| l.trim().strip_prefix(prefix))
                .filter_map(|rest| {
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                })
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let mut defined = names(include_str!("scenarios.rs"), "pub fn ");
        let lib = include_str!("lib.rs");
        let list = &lib[lib.find("@each $harness;").unwrap()..];
        let list = &list[..list.find(");").unwrap()];
        let mut listed: Vec<String> = list
            .lines()
            .skip(1)
            .map(|l| l.trim().trim_end_matches(',').to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        defined.sort();
        listed.sort();
        assert!(!defined.is_empty());
        assert_eq!(defined, listed);
    }
}
