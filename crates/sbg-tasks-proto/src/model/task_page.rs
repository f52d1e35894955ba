//! One page of a task list: `{href, items[], links[]}`.

use super::Task;

word_enum! {
    /// The relation of a pagination link to the page it came with.
    pub enum LinkRel {
        /// The next page.
        Next = "next",
        /// The previous page.
        Prev = "prev",
    }
}

model_struct! {
    /// A pagination link: `{href, rel, method}`.
    pub struct Link {
        /// The URL of the other page, as sent (absolute, or relative to the host).
        href: String = "href",
        /// `next` or `prev`.
        rel: LinkRel = "rel",
        /// The HTTP method to use, e.g. `GET`.
        method: String = "method",
    }
}

model_struct! {
    /// One page of `GET /v2/tasks`: the tasks of this page and links to its neighbours.
    ///
    /// The total number of matching tasks is not in the body but in the answer's
    /// `X-Total-Matching-Query` header: see [`Answer::total`](crate::Answer::total) and
    /// [`ResponseMeta::total_matching`](crate::meta::ResponseMeta::total_matching).
    pub struct TaskPage {
        /// The URL of this page.
        href: String = "href",
        /// The tasks of this page, in the order sent.
        items: Vec<Task> = "items",
        /// Links to the next and previous pages.
        links: Vec<Link> = "links",
    }
}

impl TaskPage {
    /// The tasks of this page (empty when `items` is absent).
    pub fn items(&self) -> &[Task] {
        self.items.as_deref().unwrap_or_default()
    }

    /// The links of this page (empty when `links` is absent).
    pub fn links(&self) -> &[Link] {
        self.links.as_deref().unwrap_or_default()
    }

    /// The first link with `rel: next`, if any.
    pub fn next_link(&self) -> Option<&Link> {
        self.links().iter().find(|l| l.rel == Some(LinkRel::Next))
    }

    /// The first link with `rel: prev`, if any.
    pub fn prev_link(&self) -> Option<&Link> {
        self.links().iter().find(|l| l.rel == Some(LinkRel::Prev))
    }

    /// Whether a non-null `items` member was sent but could not be typed as a list of tasks
    /// (a lenient decode then keeps it in `extra`): the page's items are not known.
    pub fn items_unusable(&self) -> bool {
        self.items.is_none() && self.extra.get("items").is_some_and(|v| !v.is_null())
    }
}
