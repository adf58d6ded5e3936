using Analytics.Benchmarks.Infrastructure;

namespace Analytics.Benchmarks.Peers;

/// <summary>
/// A design a user could pick instead of ours to count LLM requests, tokens and cost per model and
/// provider. <see cref="CountedRequests"/> proves after a run that the peer really counted what it was given,
/// so a peer that silently did less work could not look fast.
/// </summary>
internal interface IUsagePeer : IDisposable
{
    void Record(in Request request);

    /// <summary>
    /// Records requests <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1
    /// of <see cref="Workload.Requests"/> (cycled). Each peer has its own copy of this loop so the call to
    /// its (sealed) Record is direct and inlinable, as ours is, rather than an interface call per op.
    /// Callers go through <see cref="Workload.InChunks"/>.
    /// </summary>
    void RecordRange(int start, int count);

    /// <summary>Waits until everything recorded is counted, then returns the total request count.</summary>
    long CountedRequests();
}
