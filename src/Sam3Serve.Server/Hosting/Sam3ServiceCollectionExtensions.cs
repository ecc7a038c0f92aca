using Microsoft.Extensions.DependencyInjection.Extensions;
using Sam3Serve.Imaging.Input;
using Sam3Serve.Jobs;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Jobs.Queue;
using Sam3Serve.Jobs.Redis;
using Sam3Serve.Jobs.Sqlite;
using Sam3Serve.Jobs.Webhooks;
using Sam3Serve.Server;
using Sam3Serve.Server.Auth;
using Sam3Serve.Server.Lifecycle;
using Sam3Serve.Server.Observability;
using Sam3Serve.Server.Processing;
using Sam3Serve.Server.Webhooks;
using Sam3Serve.Server.Workers;
using StackExchange.Redis;

// In the DI namespace, as ASP.NET Core's own AddXxx methods are, so a composition root needs no extra using.
namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// One registration method per feature of the service. Each uses TryAdd, so a host (or a test) that registered its
/// own implementation first keeps it. <c>Sam3ServerHost.Build</c> calls them in order.
/// </summary>
internal static class Sam3ServiceCollectionExtensions
{
    /// <summary>Keys, balances and rate limits on the request path: authentication and the settling of held credits.</summary>
    public static IServiceCollection AddSam3Accounts(this IServiceCollection services)
    {
        services.TryAddSingleton<CallerAuthenticator>();
        services.TryAddSingleton<CreditSettlement>();
        return services;
    }

    /// <summary>Reading images from requests: the size limits, the URL guard and the fetcher.</summary>
    public static IServiceCollection AddSam3ImageInput(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(new ImageInputOptions
        {
            MaxImageBytes = options.MaxBodyBytes,
            MaxPixels = options.MaxImagePixels,
            FetchTimeout = options.ImageFetchTimeout,
            AllowedHosts = options.AllowImageHost,
        });
        services.TryAddSingleton(sp => new ImageFetcher(sp.GetRequiredService<ImageInputOptions>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>
    /// A request's life (<see cref="RequestLifecycle"/>) and where /v1 runs, decided here once: on this process's
    /// model when it has one (<paramref name="runsModel"/>), else through the shared queue.
    /// </summary>
    public static IServiceCollection AddSam3RequestLifecycle(this IServiceCollection services, ServerOptions options, bool runsModel)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton<ServerMetrics>();
        services.TryAddSingleton(new WorkSlots(options.Workers));
        services.TryAddSingleton<JobSignal>();
        services.TryAddSingleton<JobCancellations>();
        services.TryAddSingleton<WebhookSignal>();
        services.TryAddSingleton<SegmentationPipeline>();
        services.TryAddSingleton<RequestLifecycle>();
        if (runsModel)
        {
            services.TryAddSingleton<ISyncRunner, InProcessSyncRunner>();
        }
        else
        {
            services.TryAddSingleton<ISyncRunner, QueuedSyncRunner>();
        }
        // Expiry runs in every role.
        services.AddHostedService<RetentionSweeper>();
        return services;
    }

    /// <summary>The model's side of a process: loading it, and the workers that run queued requests on it.</summary>
    public static IServiceCollection AddSam3Workers(this IServiceCollection services)
    {
        services.AddHostedService<EngineInitializer>();
        services.AddHostedService<JobWorker>();
        return services;
    }

    /// <summary>Webhook signing and delivery. Every role sends: the outbox is shared through the store.</summary>
    public static IServiceCollection AddSam3Webhooks(this IServiceCollection services)
    {
        services.TryAddSingleton<WebhookSignal>();
        services.TryAddSingleton<WebhookSigner>();
        services.AddHostedService<WebhookDispatcher>();
        return services;
    }

    /// <summary>The job, webhook and account stores; pick the backend with <c>UseSqlite</c> or <c>UseRedis</c>.</summary>
    public static Sam3StoreBuilder AddSam3Stores(this IServiceCollection services) => new(services);
}

/// <summary>Chooses the store backend: every store interface is served by the same backend.</summary>
internal sealed class Sam3StoreBuilder
{
    internal Sam3StoreBuilder(IServiceCollection services) => Services = services;

    /// <summary>The services being composed.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// The embedded store: SQLite plus media files in <paramref name="dataDir"/>, one server per data dir (a lock file
    /// held for the host's life). Whatever was PROCESSING there belonged to a dead process and is queued again.
    /// </summary>
    public IServiceCollection UseSqlite(string dataDir)
    {
        var dataLock = DataDirLock.Acquire(dataDir);
        var database = SqliteDatabase.Open(dataDir);
        // Registered through a factory so that disposing the host releases the lock (a restart in the same process).
        Services.AddSingleton(_ => dataLock);
        Services.AddSingleton(database);
        // Leases, retention and webhook retries read the host's clock, the one every other component reads.
        Services.AddSingleton(sp =>
        {
            var store = new SqliteJobStore(database, sp.GetRequiredService<TimeProvider>());
            store.RequeueAbandoned();
            return store;
        });
        Services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<SqliteJobStore>());
        Services.AddSingleton<IWebhookOutbox>(sp => sp.GetRequiredService<SqliteJobStore>());
        Services.AddSingleton<IAccountStore>(sp => new SqliteAccountStore(database, sp.GetRequiredService<TimeProvider>()));
        Services.AddSingleton<IStoreFaults>(NoTransientStoreFaults.Instance);
        return Services;
    }

    /// <summary>The shared store: any number of API and worker processes on one Redis, through one multiplexer.</summary>
    public IServiceCollection UseRedis(string connectionString)
    {
        var redisOptions = new RedisOptions { ConnectionString = connectionString };
        var connection = RedisConnection.Connect(redisOptions);
        var jobStore = new RedisJobStore(connection, redisOptions);
        Services.AddSingleton<IConnectionMultiplexer>(connection);
        Services.AddSingleton<IJobStore>(jobStore);
        Services.AddSingleton<IWebhookOutbox>(jobStore);
        Services.AddSingleton<IAccountStore>(sp => new RedisAccountStore(connection, redisOptions, sp.GetRequiredService<TimeProvider>()));
        Services.AddSingleton<IStoreFaults, RedisStoreFaults>();
        return Services;
    }
}
