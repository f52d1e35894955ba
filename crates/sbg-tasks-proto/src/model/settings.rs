//! Execution settings of a task.

model_struct! {
    /// `execution_settings`: how the task is run.
    pub struct ExecutionSettings {
        /// Instance type, e.g. `c4.2xlarge;ebs-gp2;2000`.
        instance_type: String = "instance_type",
        /// Most instances used in parallel.
        max_parallel_instances: u64 = "max_parallel_instances",
        /// Reuse results of identical earlier jobs.
        use_memoization: bool = "use_memoization",
        /// Let the disk grow as needed.
        use_elastic_disk: bool = "use_elastic_disk",
    }
}

impl ExecutionSettings {
    /// Sets `instance_type`.
    pub fn with_instance_type(mut self, instance_type: impl Into<String>) -> Self {
        self.instance_type = Some(instance_type.into());
        self
    }

    /// Sets `max_parallel_instances`.
    pub fn with_max_parallel_instances(mut self, n: u64) -> Self {
        self.max_parallel_instances = Some(n);
        self
    }

    /// Sets `use_memoization`.
    pub fn with_use_memoization(mut self, yes: bool) -> Self {
        self.use_memoization = Some(yes);
        self
    }

    /// Sets `use_elastic_disk`.
    pub fn with_use_elastic_disk(mut self, yes: bool) -> Self {
        self.use_elastic_disk = Some(yes);
        self
    }
}
