using System.Text.Json;

namespace Analytics.AspNetCore.Ingest;

/// <summary>
/// What the ingest endpoint did since start, by outcome: read by <c>GET /v1/stats</c> (the <c>ingest</c> object) and
/// so by the dashboard. Plain sums: a billion requests a second would take centuries to reach <see cref="long.MaxValue"/>.
/// </summary>
internal sealed class IngestCounters
{
    private long _requests, _acceptedEvents, _rejectedEvents, _badRequest, _unauthorized, _tooLarge, _unsupported, _unavailable;

    public void Request() => Interlocked.Increment(ref _requests);

    public void Accepted(long events, long rejected)
    {
        Interlocked.Add(ref _acceptedEvents, events);
        Interlocked.Add(ref _rejectedEvents, rejected);
    }

    public void Refused(int status)
    {
        switch (status)
        {
            case 400: Interlocked.Increment(ref _badRequest); break;
            case 401: Interlocked.Increment(ref _unauthorized); break;
            case 413: Interlocked.Increment(ref _tooLarge); break;
            case 415: Interlocked.Increment(ref _unsupported); break;
            case 503: Interlocked.Increment(ref _unavailable); break;
        }
    }

    /// <summary>The <c>ingest</c> object of the service's stats.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject("ingest");
        w.WriteNumber("requests", Volatile.Read(ref _requests));
        w.WriteNumber("accepted_events", Volatile.Read(ref _acceptedEvents));
        w.WriteNumber("rejected_events", Volatile.Read(ref _rejectedEvents));
        w.WriteNumber("refused_400", Volatile.Read(ref _badRequest));
        w.WriteNumber("refused_401", Volatile.Read(ref _unauthorized));
        w.WriteNumber("refused_413", Volatile.Read(ref _tooLarge));
        w.WriteNumber("refused_415", Volatile.Read(ref _unsupported));
        w.WriteNumber("refused_503", Volatile.Read(ref _unavailable));
        w.WriteEndObject();
    }
}
