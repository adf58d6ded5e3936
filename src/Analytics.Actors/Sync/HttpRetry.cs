using System.Net.Http.Headers;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Analytics.Actors.Sync;

/// <summary>
/// The retries of an HTTP post that must arrive (sync's events, the budget webhook's threshold events):
/// <c>total budget timeout -> retry (exponential back-off with jitter; the server's Retry-After wins) -> per-attempt
/// timeout</c>, with transport failures, attempt timeouts and the statuses the caller calls transient retried until the
/// budget is spent.
/// </summary>
internal static class HttpRetry
{
    /// <summary>The pipeline.</summary>
    /// <param name="time">The clock of the delays and timeouts.</param>
    /// <param name="budget">The whole life of one post, waits included.</param>
    /// <param name="delay">The first back-off.</param>
    /// <param name="maxDelay">The cap of the computed back-off (a longer Retry-After is honoured).</param>
    /// <param name="attemptTimeout">One attempt.</param>
    /// <param name="retryAnswer">Whether an attempt's answer is retried.</param>
    /// <param name="retryAfter">The server's wait for an answer, or null to keep the back-off.</param>
    /// <param name="onRetry">Called for every retry.</param>
    public static ResiliencePipeline<T> Pipeline<T>(TimeProvider time, TimeSpan budget, TimeSpan delay, TimeSpan maxDelay, TimeSpan attemptTimeout,
        Func<T, ResilienceContext, bool> retryAnswer, Func<T, TimeSpan?> retryAfter, Action onRetry) where T : class =>
        new ResiliencePipelineBuilder<T> { TimeProvider = time }
            .AddTimeout(budget) // outermost: the whole life of one post, waits included
            .AddRetry(new RetryStrategyOptions<T>
            {
                MaxRetryAttempts = int.MaxValue, // bounded by the budget, not by a count
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = delay,
                MaxDelay = maxDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException or IOException or TimeoutRejectedException } => true,
                    { Result: { } answer } => retryAnswer(answer, args.Context),
                    _ => false,
                }),
                // The server's Retry-After wins over the computed back-off (null keeps the back-off).
                DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } answer ? retryAfter(answer) : null),
                OnRetry = _ =>
                {
                    onRetry();
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(attemptTimeout) // innermost: one attempt, response body included
            .Build();

    /// <summary>
    /// The server's wait, or null to keep the computed back-off. A zero, negative or already-past wait (a clock
    /// ahead of the server's) is null too: taken as given it would re-post with no delay at all, a tight loop
    /// for the whole retry budget, where the protocol asks for back-off.
    /// </summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, TimeProvider time)
    {
        TimeSpan? wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        return wait > TimeSpan.Zero ? wait : null;
    }

    /// <summary>Statuses worth another attempt: request timeout, too many requests, server errors.</summary>
    public static bool IsTransient(int status) => status is 408 or 429 or >= 500 and < 600;
}
