using System.Runtime.CompilerServices;
using Analytics.Actors;
using Analytics.Actors.Ingress;

namespace Analytics.Benchmarks;

/// <summary>
/// The memory benchmark's arithmetic, printed by <c>--sizes</c>: what one buffered event costs in the ring and
/// what the default recorder holds. Measured from the runtime (struct size, allocated and retained bytes),
/// not hard-coded, so a change to <see cref="IngressRecord"/> shows up here.
/// </summary>
public static class Sizes
{
    public static void Print(TextWriter output)
    {
        var record = Unsafe.SizeOf<IngressRecord>();

        // Allocated by one shard of 10,000 slots, divided by its slots: the slot's real size with its turn number.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var shard = new IngressShard(10_000);
        var shardBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        GC.KeepAlive(shard);

        before = GC.GetAllocatedBytesForCurrentThread();
        var recorder = new UsageRecorder();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        GC.KeepAlive(recorder);

        output.WriteLine($"IngressRecord struct:                 {record,12:N0} B");
        output.WriteLine($"ring slot (record + turn), measured:  {(double)shardBytes / 10_000,12:N1} B per buffered event");
        output.WriteLine($"new UsageRecorder() allocated:        {allocated,12:N0} B ({allocated / 1024.0 / 1024.0:N2} MiB, {allocated / 1e6:N2} MB) for {10_000:N0} slots");
        output.WriteLine("The ring is allocated whole up front and recording allocates nothing, so this is also what it holds, full or empty.");
        output.WriteLine("Strings (model, provider, agent) are references to the caller's strings, not copies.");
    }
}
