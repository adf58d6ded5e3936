using System.Globalization;
using Analytics.Actors.Hosting;

namespace Analytics.Actors;

/// <summary>
/// Settings of the HTTP service's ingest and stats endpoints (<c>POST /v1/events</c>, <c>GET /v1/stats</c>), bound from
/// <c>Analytics:Ingest</c>. They apply where the endpoints are mapped (<c>app.MapUsageAnalytics()</c> from the
/// <c>LlmUsageAnalytics.AspNetCore</c> package, or <c>Analytics.Host serve</c>); the library alone never reads them.
/// </summary>
public sealed class IngestOptions
{
    /// <summary>Shortest API key accepted: a shorter one is guessable, so it stops the start.</summary>
    internal const int MinKeyLength = 16;

    /// <summary>Longest API key accepted.</summary>
    internal const int MaxKeyLength = 256;

    /// <summary>
    /// The keys a client may present as <c>Authorization: Bearer &lt;key&gt;</c> (compared in constant time, never
    /// logged). Each is 16..256 printable ASCII characters without spaces. Default empty: then only loopback clients
    /// (127.0.0.0/8, ::1) are answered, and the service logs a warning at start saying so.
    /// </summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// Largest request body accepted by <c>POST /v1/events</c>, in bytes; a larger one is refused with 413 without being
    /// read (by its <c>Content-Length</c>, or as soon as a chunked body passes it). Default 10,485,760 (10 MiB);
    /// 1,024..268,435,456.
    /// </summary>
    public long MaxBodyBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>
    /// How long an ingest request waits for room in the ingress ring (and, with a store, in the store queue) before it
    /// is refused with 503 and <c>Retry-After</c>. Default 00:00:02; 00:00:00..00:01:00 (zero refuses at once).
    /// </summary>
    public TimeSpan RoomWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The <c>Retry-After</c> of a 503, in seconds. Default 1; 1..3600.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>True when at least one key is configured (else loopback clients only).</summary>
    internal bool RequiresKey => ApiKeys is { Count: > 0 };

    /// <summary>Returns a copy (the key list copied too).</summary>
    /// <returns>A copy.</returns>
    public IngestOptions Clone()
    {
        var copy = (IngestOptions)MemberwiseClone();
        copy.ApiKeys = [.. ApiKeys ?? []];
        return copy;
    }

    /// <summary>The settings on one line, keys counted but never shown.</summary>
    /// <returns>A description.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ApiKeys={ApiKeys?.Count ?? 0} configured, MaxBodyBytes={MaxBodyBytes}, RoomWait={RoomWait:c}, RetryAfterSeconds={RetryAfterSeconds}");

    /// <summary>Checks the settings; one message per problem, naming the key and the range (never a key's value).</summary>
    internal static void Validate(IngestOptions options, OptionErrors errors)
    {
        var keys = options.ApiKeys ?? [];
        for (var i = 0; i < keys.Count; i++)
        {
            var key = keys[i] ?? "";
            var name = string.Create(CultureInfo.InvariantCulture, $"ApiKeys:{i}");
            if (key.Length is < MinKeyLength or > MaxKeyLength)
                errors.Add(name, string.Create(CultureInfo.InvariantCulture, $"must be {MinKeyLength} to {MaxKeyLength} characters long (got {key.Length}; the value is not shown)."));
            else if (key.Any(c => c is <= ' ' or > '~'))
                errors.Add(name, "must hold printable ASCII characters only, without spaces (the value is not shown).");
        }
        errors.Range("MaxBodyBytes", options.MaxBodyBytes, 1_024, 268_435_456);
        errors.Duration("RoomWait", options.RoomWait, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        errors.Range("RetryAfterSeconds", options.RetryAfterSeconds, 1, 3_600);
    }
}
