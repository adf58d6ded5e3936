using System.Runtime.InteropServices;

namespace Analytics.Benchmarks.Infrastructure;

/// <summary>
/// Pins the calling thread to one CPU (Linux only; elsewhere a no-op). On a 2-core machine the
/// scheduler otherwise swaps the two producer threads between cores from one iteration to the next,
/// which makes every cache line a producer touches start in the other core's cache for some iterations
/// and not others: the 2-thread results came out bimodal. Every implementation, ours and the peers,
/// runs on the same pinned producer threads.
/// </summary>
/// <remarks>
/// Linux threads inherit their creator's affinity, so a thread the runtime creates from a pinned
/// producer (a thread-pool worker running the Tell peer's actor, say) would be stuck on that producer's
/// core. <see cref="PrimeThreadPool"/> makes the pool create its workers before anything is pinned.
/// </remarks>
internal static partial class ThreadAffinity
{
    public static bool Supported => OperatingSystem.IsLinux() && Environment.ProcessorCount <= 64;

    /// <summary>Pins the calling thread to <paramref name="cpu"/> (modulo the CPU count); returns the mask to restore.</summary>
    public static ulong? PinCurrentThread(int cpu)
    {
        if (!Supported) return null;
        if (sched_getaffinity(0, sizeof(ulong), out var previous) != 0) return null;
        var mask = 1UL << (cpu % Environment.ProcessorCount);
        return sched_setaffinity(0, sizeof(ulong), in mask) == 0 ? previous : null;
    }

    /// <summary>Lets the calling thread run on any CPU again (it inherited its creator's pin).</summary>
    public static void AllowAll()
    {
        if (!Supported) return;
        var mask = Environment.ProcessorCount == 64 ? ulong.MaxValue : (1UL << Environment.ProcessorCount) - 1;
        sched_setaffinity(0, sizeof(ulong), in mask);
    }

    /// <summary>Makes the thread pool start one worker per core now, from an unpinned thread.</summary>
    public static void PrimeThreadPool()
    {
        var workers = Environment.ProcessorCount;
        var started = 0;
        // Never disposed: an item the pool starts after the timeout finds it set and returns at once.
        var release = new ManualResetEventSlim();
        for (var i = 0; i < workers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                Interlocked.Increment(ref started);
                release.Wait();
            }, null);
        }
        SpinWait.SpinUntil(() => Volatile.Read(ref started) >= workers, TimeSpan.FromSeconds(2));
        release.Set();
    }

    /// <summary>Restores a mask returned by <see cref="PinCurrentThread"/> on the same thread.</summary>
    public static void Restore(ulong? previous)
    {
        if (previous is { } mask) sched_setaffinity(0, sizeof(ulong), in mask);
    }

    // pid 0 means the calling thread.
    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nint cpusetsize, in ulong mask);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_getaffinity(int pid, nint cpusetsize, out ulong mask);
}
