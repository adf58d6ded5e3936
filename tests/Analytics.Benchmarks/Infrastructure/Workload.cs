namespace Analytics.Benchmarks.Infrastructure;

/// <summary>One completed LLM request as every implementation under test receives it.</summary>
internal readonly record struct Request(string Model, string Provider, long InputTokens, long OutputTokens, long CostMicros);

/// <summary>
/// The requests every benchmark records, identical for our recorder and each peer: eight models over
/// three providers, realistic token counts and a caller-known cost, cycled by op index. Eight keys
/// keep every dictionary in the peers doing a real lookup rather than hitting one hot entry.
/// </summary>
internal static class Workload
{
    public const int Mask = 7;

    /// <summary>Ops per call of a measured loop method; see <see cref="InChunks"/>.</summary>
    public const int Chunk = 64;

    /// <summary>
    /// Runs <paramref name="ops"/> ops as calls of <paramref name="range"/>(start, count) of at most
    /// <see cref="Chunk"/> ops. A loop method called once per invoke would run for most of the run as
    /// tier-0 code patched by on-stack replacement, whose speed depends on when the patch lands (the same
    /// loop measured 19-31 ns an op from run to run, 13 ns with tiering off). Called hundreds of times per
    /// invoke, the loop method is promoted to tier-1 code with PGO during warm-up, as hot code is in
    /// production. (Marking the loops AggressiveOptimization instead cost the lock peer 3x, no PGO.)
    /// </summary>
    public static void InChunks(int ops, Action<int, int> range)
    {
        for (var start = 0; start < ops; start += Chunk) range(start, Math.Min(Chunk, ops - start));
    }

    public static readonly Request[] Requests = Fresh(
    [
        new("gpt-4o", "openai", 1_200, 300, 6_000),
        new("gpt-4o-mini", "openai", 2_400, 512, 667),
        new("o3-mini", "openai", 900, 1_800, 8_910),
        new("gpt-4.1", "openai", 3_000, 250, 8_000),
        new("claude-sonnet-4-5", "anthropic", 1_500, 400, 10_500),
        new("claude-haiku-4-5", "anthropic", 800, 200, 1_800),
        new("claude-opus-4-1", "anthropic", 2_000, 600, 75_000),
        new("gemini-2.5-pro", "google", 1_100, 700, 8_375),
    ]);

    /// <summary>
    /// Copies the strings so lookups compare characters, as they would for names parsed from a
    /// request, instead of short-cutting on the interned literal's reference.
    /// </summary>
    private static Request[] Fresh(Request[] requests) =>
        Array.ConvertAll(requests, r => r with { Model = new string(r.Model.AsSpan()), Provider = new string(r.Provider.AsSpan()) });

    /// <summary>Sum of requests, tokens and cost of <paramref name="count"/> ops starting at op 0.</summary>
    public static (long Requests, long Input, long Output, long Cost) Expected(long count)
    {
        long input = 0, output = 0, cost = 0;
        for (var i = 0; i < Requests.Length; i++)
        {
            var times = count / Requests.Length + (i < count % Requests.Length ? 1 : 0);
            input += times * Requests[i].InputTokens;
            output += times * Requests[i].OutputTokens;
            cost += times * Requests[i].CostMicros;
        }
        return (count, input, output, cost);
    }
}
