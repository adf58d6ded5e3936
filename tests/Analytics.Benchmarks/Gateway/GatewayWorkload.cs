using Analytics.Benchmarks.Infrastructure;

namespace Analytics.Benchmarks.Gateway;

/// <summary>One completed request as a gateway reports it: model, agent, tokens and timings; no cost, no provider.</summary>
internal readonly record struct GatewayRequest(string Model, string Agent, long InputTokens, long OutputTokens, long CacheReadTokens, long DurationMs, long TimeToFirstTokenMs);

/// <summary>
/// The requests of the gateway benchmarks, the same for every design: the eight models of <see cref="Workload"/> (three
/// providers, all in the embedded catalog) crossed with sixteen agents, so each design keeps 8 model rows, 3 provider
/// rows and 16 agent rows, and must price every request itself and find its provider.
/// </summary>
internal static class GatewayWorkload
{
    public const int Mask = 127;

    public static readonly GatewayRequest[] Requests = Build();

    private static GatewayRequest[] Build()
    {
        var agents = Enumerable.Range(0, 16).Select(i => $"agent-{i:D2}").ToArray();
        var requests = new GatewayRequest[Mask + 1];
        for (var i = 0; i < requests.Length; i++)
        {
            var r = Workload.Requests[i & Workload.Mask];
            // Fresh string instances, as names parsed from a request would be (no design can short-cut on references).
            requests[i] = new GatewayRequest(new string(r.Model.AsSpan()), new string(agents[(i >> 3) & 15].AsSpan()), r.InputTokens, r.OutputTokens,
                CacheReadTokens: i % 4 == 0 ? r.InputTokens / 2 : 0, DurationMs: 400 + i * 7, TimeToFirstTokenMs: 90 + i);
        }
        return requests;
    }
}
