using System.Globalization;

using Analytics.Actors.Hosting;

namespace Analytics.Actors;

/// <summary>
/// Upstream delivery settings (Protocol 012 Control API), bound from <c>Analytics:Sync</c>. An empty
/// <see cref="Endpoint"/> turns sync off: no actor, no queue, no HTTP client is created. Durations use the
/// standard <c>hh:mm:ss[.fff]</c> form, for example <c>Analytics__Sync__Interval=00:00:01</c>.
/// </summary>
public sealed class SyncOptions
{
    /// <summary>The path Protocol 012 accepts events on, appended to <see cref="Endpoint"/>.</summary>
    public const string EventsPath = "/api/v1/analytics/events";

    /// <summary>
    /// Base URL of the Control API, absolute <c>http</c> or <c>https</c>, for example <c>https://control.example.com</c>;
    /// events go to <c>{Endpoint}/api/v1/analytics/events</c> (a URL that already ends with that path is used as is).
    /// Default empty: sync off.
    /// </summary>
    public string Endpoint { get; set; } = "";

    /// <summary>The agent's <c>ic_token</c>, sent in each event body. Required when <see cref="Endpoint"/> is set. A secret: never logged.</summary>
    public string? Token { get; set; }

    /// <summary>Longest time an event waits for its batch to fill before the batch is sent. Default 00:00:30; 1 ms..1 h.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Events per batch: a batch is sent as soon as it holds this many. Default 10; 1..10,000.</summary>
    public int BatchSize { get; set; } = 10;

    /// <summary>Timeout of one HTTP attempt (request and response body). Default 00:00:30; 10 ms..10 min (Polly refuses less).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Batches in delivery at the same time. Default 4; 1..256.</summary>
    public int Parallelism { get; set; } = 4;

    /// <summary>
    /// HTTP requests in flight at the same time within one batch (Protocol 012 takes one event per request).
    /// At most <see cref="Parallelism"/> x this many requests are in flight in all. Default 4; 1..256.
    /// </summary>
    public int MaxConcurrentRequestsPerBatch { get; set; } = 4;

    /// <summary>
    /// Total time one event may spend in attempts and back-off waits; after it the event counts as undelivered and is
    /// dead-lettered. Default 00:05:00; 10 ms..24 h.
    /// </summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First back-off delay; later ones grow exponentially, with jitter. Default 00:00:01; 1 ms..10 min.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Cap of the computed back-off delay. A server's <c>Retry-After</c> is honoured even when longer (unless it exceeds
    /// what is left of <see cref="RetryBudget"/>). Default 00:00:30; 1 ms..1 h, and at least <see cref="RetryDelay"/>.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Events the sync queue holds between the pump and the delivery stream. When it is full the pump counts new events as
    /// <c>sync_dropped</c> instead of waiting. Default 10,000; 1..10,000,000.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// How long the shutdown flush waits for queued and in-flight events to be delivered; what is left then counts as
    /// undelivered. Default 00:00:10; 1 ms..5 min.
    /// </summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// JSON Lines file that receives every event that was not delivered (rejected, unauthorized, retry budget spent,
    /// unsent at shutdown), with the status, response body and reason. Relative paths are resolved against the current
    /// directory when sync starts. Default <c>analytics-dead-letter.jsonl</c>.
    /// </summary>
    public string DeadLetterPath { get; set; } = "analytics-dead-letter.jsonl";

    /// <summary>Upper bound of <see cref="FlushTimeout"/>; the shutdown phase timeout is derived from it.</summary>
    internal static readonly TimeSpan MaxFlushTimeout = TimeSpan.FromMinutes(5);

    /// <summary>True when an endpoint is configured.</summary>
    internal bool Enabled => !string.IsNullOrWhiteSpace(Endpoint);

    /// <summary>The URL events are posted to. Only valid when <see cref="Enabled"/> and validated.</summary>
    internal Uri EventsUri
    {
        get
        {
            var text = Endpoint.Trim().TrimEnd('/');
            return new Uri(text.EndsWith(EventsPath, StringComparison.OrdinalIgnoreCase) ? text : text + EventsPath, UriKind.Absolute);
        }
    }

    /// <summary>A copy, so a caller's tweaks never reach a shared instance.</summary>
    /// <returns>The copy.</returns>
    internal SyncOptions Clone() => (SyncOptions)MemberwiseClone();

    /// <summary>The settings with the token redacted, so the object can be logged.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Endpoint={Redact(Endpoint)}, Token={(string.IsNullOrEmpty(Token) ? "(none)" : "***")}, Interval={Interval:c}, BatchSize={BatchSize}, " +
        $"Timeout={Timeout:c}, Parallelism={Parallelism}, MaxConcurrentRequestsPerBatch={MaxConcurrentRequestsPerBatch}, " +
        $"RetryBudget={RetryBudget:c}, RetryDelay={RetryDelay:c}, MaxRetryDelay={MaxRetryDelay:c}, QueueCapacity={QueueCapacity}, " +
        $"FlushTimeout={FlushTimeout:c}, DeadLetterPath={DeadLetterPath}");

    /// <summary>Checks the sync settings; adds one message per problem, naming the key, the range and the value (never the token).</summary>
    /// <param name="options">The settings.</param>
    /// <param name="errors">Where problems are collected (the <c>Analytics:Sync</c> section).</param>
    internal static void Validate(SyncOptions options, OptionErrors errors)
    {
        var endpoint = options.Endpoint ?? "";
        if (endpoint.Trim().Length == 0) return; // sync off: nothing else is used, so nothing else can be wrong

        if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            errors.Add("Endpoint", "must be empty (sync off) or an absolute http or https URL without query, fragment or credentials, " +
                                   $"such as https://control.example.com (got '{Redact(endpoint)}').");
        }
        if (string.IsNullOrWhiteSpace(options.Token))
            errors.Add("Token", $"is required when {errors.Key("Endpoint")} is set (the agent's ic_token).");

        errors.Duration("Interval", options.Interval, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        errors.Range("BatchSize", options.BatchSize, 1, 10_000);
        // Polly's timeout strategy refuses anything under 10 ms; catching it here names the key instead.
        errors.Duration("Timeout", options.Timeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(10));
        errors.Range("Parallelism", options.Parallelism, 1, 256);
        errors.Range("MaxConcurrentRequestsPerBatch", options.MaxConcurrentRequestsPerBatch, 1, 256);
        errors.Duration("RetryBudget", options.RetryBudget, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(24));
        errors.Duration("RetryDelay", options.RetryDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(10));
        errors.Duration("MaxRetryDelay", options.MaxRetryDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1));
        if (options.MaxRetryDelay < options.RetryDelay)
            errors.Add("MaxRetryDelay", $"must be at least {errors.Key("RetryDelay")} ({options.RetryDelay:c}) (got {options.MaxRetryDelay:c}).");
        errors.Range("QueueCapacity", options.QueueCapacity, 1, 10_000_000);
        errors.Duration("FlushTimeout", options.FlushTimeout, TimeSpan.FromMilliseconds(1), MaxFlushTimeout);
        if (string.IsNullOrWhiteSpace(options.DeadLetterPath))
            errors.Add("DeadLetterPath", $"must name a file (got '{options.DeadLetterPath}').");
        else if (options.DeadLetterPath.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            errors.Add("DeadLetterPath", $"contains characters that are not valid in a path (got '{options.DeadLetterPath}').");
        else if (Sync.DeadLetterFile.CheckWritable(options.DeadLetterPath) is { } problem)
            errors.Add("DeadLetterPath", problem); // at start, not at the first failed delivery, when the dead letters would be lost
    }

    /// <summary>
    /// A URL for a message or a log: credentials (<c>user:password@</c>), the query and the fragment are replaced by
    /// <c>***</c>, since any of them may hold a secret. Works on text that does not parse as a URL too.
    /// </summary>
    /// <param name="url">The URL as configured or received.</param>
    /// <returns>The URL without its secrets.</returns>
    internal static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url)) return url ?? "";
        var text = url;
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        var authorityStart = scheme >= 0 ? scheme + 3 : 0;
        var authorityEnd = text.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0) authorityEnd = text.Length;
        // The last '@' of the authority ends the credentials (a password may hold '@').
        var at = authorityEnd > authorityStart ? text.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart) : -1;
        if (at >= authorityStart) text = string.Concat(text.AsSpan(0, authorityStart), "***", text.AsSpan(at));
        var tail = text.IndexOfAny(['?', '#'], authorityStart);
        return tail >= 0 ? string.Concat(text.AsSpan(0, tail + 1), "***") : text;
    }
}
