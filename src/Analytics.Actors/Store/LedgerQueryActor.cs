using Akka.Actor;
using Analytics.Contracts;

namespace Analytics.Actors.Store;

/// <summary>
/// Answers <see cref="UsageQueries.GetUsage"/> with a <see cref="UsageHistory"/> (or a failure). The wait for the
/// commit and the read run off the mailbox and come back to the asker with <c>PipeTo</c>, so queries overlap.
/// </summary>
internal sealed class LedgerQueryActor : ReceiveActor
{
    /// <summary>Use <see cref="CreateProps"/>.</summary>
    public LedgerQueryActor(StoreRuntime.Running store)
    {
        Receive<UsageQueries.GetUsage>(query => store.QueryAsync(query, CancellationToken.None).PipeTo(Sender));
    }

    /// <summary>Props for the query actor.</summary>
    public static Props CreateProps(StoreRuntime.Running store) => Props.Create(() => new LedgerQueryActor(store));
}
