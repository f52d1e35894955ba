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
