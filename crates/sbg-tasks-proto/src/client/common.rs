//! What the blocking and the async client share besides the machines: construction, the
//! builder-style setters and the accessors. Both clients are `{ settings, transport, env }`;
//! [`client_common!`] writes these methods once for either of them.

/// Writes the constructors, `with_*` setters and accessors of a client struct
/// `$client<T, E> { settings: Settings, transport: T, env: E }`, in an
/// `impl<T, E> $client<T, E> where $bounds` block (the bounds keep type inference for
/// closure transports what it was).
macro_rules! client_common {
    ($client:ident where $($bounds:tt)*) => {
        impl<T, E> $client<T, E>
        where
            $($bounds)*
        {
            /// A client with default settings for `config` (see [`Settings::new`]).
            pub fn new(config: $crate::Config, transport: T, env: E) -> Self {
                Self::with_settings(Settings::new(config), transport, env)
            }

            /// A client with `settings`.
            pub fn with_settings(settings: Settings, transport: T, env: E) -> Self {
                Self {
                    settings,
                    transport,
                    env,
                }
            }

            /// Replaces the retry policy.
            pub fn with_retry(mut self, retry: $crate::retry::RetryPolicy) -> Self {
                self.settings.retry = retry;
                self
            }

            /// Replaces the default wait policy.
            pub fn with_wait(mut self, wait: $crate::wait::WaitPolicy) -> Self {
                self.settings.wait = wait;
                self
            }

            /// Sets strict or lenient decoding.
            pub fn with_decoding(mut self, decoding: $crate::Decoding) -> Self {
                self.settings.decoding = decoding;
                self
            }

            /// The settings.
            pub fn settings(&self) -> &Settings {
                &self.settings
            }

            /// The transport.
            pub fn transport(&self) -> &T {
                &self.transport
            }

            /// The environment.
            pub fn env(&self) -> &E {
                &self.env
            }
        }
    };
}
