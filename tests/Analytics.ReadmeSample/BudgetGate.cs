using Analytics.Actors;

/// <summary>The README's enforcement example: a gateway refuses a request while a budget that counts it is spent.</summary>
public sealed class BudgetGate(IBudgetStatus budgets, TimeProvider time) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var agent = context.HttpContext.Request.Query["agent"].ToString();
        // O(1), no lock, no actor: the statuses the budget evaluator last published.
        foreach (var budget in budgets.ForAgent(agent))
        {
            if (!budget.LimitReached) continue;
            var wait = budget.WindowEnd - time.GetUtcNow();
            context.HttpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling(Math.Max(1, wait.TotalSeconds))).ToString();
            return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Budget spent",
                detail: $"Budget '{budget.Name}' spent {budget.SpentMicros / 1e6:F2} of {budget.LimitMicros / 1e6:F2} USD; it resets at {budget.WindowEnd:u}.");
        }
        return await next(context);
    }
}
