using Analytics.Actors;
using Analytics.Actors.Store;

namespace Analytics.Host.Store;

/// <summary>
/// Keeps a producer that can wait (replay) from overrunning the store queue: the pump would count what the full queue
/// refuses as store-dropped, and a replay exists to store the whole log.
/// </summary>
internal static class StoreRoom
{
    /// <summary>Waits while the store queue cannot take what is in the ring plus one more event.</summary>
    public static async ValueTask WaitAsync(StoreRuntime.Running store, UsageRecorder recorder)
    {
        while (!store.HasRoom(recorder.PendingCount + 1)) await Task.Delay(1);
    }
}
