using System.Globalization;
using Analytics.Actors.Hosting;

namespace Analytics.Actors;

/// <summary>
/// The durable ledger (an embedded SQLite file), bound from <c>Analytics:Store</c>. With a <see cref="Path"/>, every
/// completed and failed LLM event is written to the ledger off the hot path, hourly rollups per model, provider and
/// agent answer windowed usage queries, and sync (when configured) delivers from the ledger instead of a memory queue.
/// An empty <see cref="Path"/> (the library default) turns the store off: nothing is written and nothing is opened.
/// </summary>
public sealed class StoreOptions
{
    /// <summary>
    /// The SQLite file of the ledger, created when missing; relative paths resolve against the current directory at
    /// start. The file must be writable and either new or a ledger: anything else stops the start. Default empty (off);
    /// the <c>Analytics.Host</c> program defaults it to <c>analytics.db</c>.
    /// </summary>
    public string Path { get; set; } = "";

    /// <summary>
    /// How long ledger rows are kept, by event time, once they need nothing more (delivered, rejected, or recorded with
    /// sync off); undelivered rows stay until delivered. The hourly rollups are kept for good. Default 30.00:00:00;
    /// 01:00:00..36500.00:00:00.
    /// </summary>
    public TimeSpan RetainEvents { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Most events per write transaction. Default 1,000; 1..100,000.</summary>
    public int BatchSize { get; set; } = 1_000;

    /// <summary>
    /// Longest time an event waits for its batch to fill before the batch is committed (the latency of a
    /// read-your-writes usage query). Default 00:00:00.020; 1 ms..10 s.
    /// </summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Events waiting between the pump and the writer. When it is full the pump counts new events as
    /// <c>store_dropped</c> instead of waiting (replay waits instead). Default 100,000; 1..10,000,000.
    /// </summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>
    /// How long the shutdown flush waits for the writer to commit what is queued; batches still failing then count as
    /// <c>failed</c>. Default 00:00:10; 1 ms..00:00:20.
    /// </summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Upper bound of <see cref="FlushTimeout"/>: it must fit the shutdown phase next to the sync flush.</summary>
    internal static readonly TimeSpan MaxFlushTimeout = TimeSpan.FromSeconds(20);

    /// <summary>True when a path is configured.</summary>
    internal bool Enabled => !string.IsNullOrWhiteSpace(Path);

    /// <summary>The path as an absolute path (relative ones against the current directory).</summary>
    internal string FullPath => System.IO.Path.GetFullPath(Path.Trim());

    /// <summary>A copy, so a caller's tweaks never reach a shared instance.</summary>
    /// <returns>The copy.</returns>
    internal StoreOptions Clone() => (StoreOptions)MemberwiseClone();

    /// <summary>The settings on one line.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Path={Path}, RetainEvents={RetainEvents:c}, BatchSize={BatchSize}, BatchInterval={BatchInterval:c}, QueueCapacity={QueueCapacity}, FlushTimeout={FlushTimeout:c}");

    /// <summary>Checks the store settings; adds one message per problem, naming the key, the range and the value.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="errors">Where problems are collected (the <c>Analytics:Store</c> section).</param>
    internal static void Validate(StoreOptions options, OptionErrors errors)
    {
        var path = options.Path ?? "";
        if (path.Trim().Length == 0) return; // store off: nothing else is used
        if (path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
            errors.Add("Path", $"contains characters that are not valid in a path (got '{path}').");
        errors.Duration("RetainEvents", options.RetainEvents, TimeSpan.FromHours(1), TimeSpan.FromDays(36_500));
        errors.Range("BatchSize", options.BatchSize, 1, 100_000);
        errors.Duration("BatchInterval", options.BatchInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
        errors.Range("QueueCapacity", options.QueueCapacity, 1, 10_000_000);
        errors.Duration("FlushTimeout", options.FlushTimeout, TimeSpan.FromMilliseconds(1), MaxFlushTimeout);
    }
}
