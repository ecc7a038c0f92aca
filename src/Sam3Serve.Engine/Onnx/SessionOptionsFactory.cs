using Microsoft.ML.OnnxRuntime;

namespace Sam3Serve.Engine.Onnx;

/// <summary>Turns <see cref="EngineOptions"/> into ONNX Runtime session options.</summary>
internal static class SessionOptionsFactory
{
    /// <summary>True for the providers that run on a GPU (cuda, tensorrt).</summary>
    public static bool IsGpu(string executionProvider) => NormaliseProvider(executionProvider) is "cuda" or "tensorrt";

    /// <summary>Builds session options; throws <see cref="InvalidOperationException"/> when the provider cannot be added.</summary>
    public static SessionOptions Create(EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var so = new SessionOptions
        {
            GraphOptimizationLevel = ParseOptimizationLevel(options.GraphOptimizationLevel),
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
            // The arena keeps every session's peak for good (a trunk pass: ~8 GB, then the decoder's on top, and a
            // second run grew it again); without it, freed tensors go back to the system (see NativeHeap).
            EnableCpuMemArena = !options.ReleaseMemoryAfterRuns,
        };
        try
        {
            if (options.IntraOpThreads > 0)
            {
                so.IntraOpNumThreads = options.IntraOpThreads;
            }
            if (options.InterOpThreads > 0)
            {
                so.InterOpNumThreads = options.InterOpThreads;
            }
            switch (NormaliseProvider(options.ExecutionProvider))
            {
                case "cpu":
                    break;
                case "cuda":
                    AddProvider("CUDA", options.DeviceId, () => so.AppendExecutionProvider_CUDA(options.DeviceId));
                    break;
                case "tensorrt":
                    AddProvider("TensorRT", options.DeviceId, () => so.AppendExecutionProvider_Tensorrt(options.DeviceId));
                    // Nodes TensorRT cannot take fall back to CUDA rather than the CPU.
                    AddProvider("CUDA", options.DeviceId, () => so.AppendExecutionProvider_CUDA(options.DeviceId));
                    break;
                default:
                    throw new InvalidOperationException($"unknown execution provider '{options.ExecutionProvider}' (expected cpu, cuda or tensorrt)");
            }
            return so;
        }
        catch
        {
            so.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Session options for a graph given as bytes (e.g. one part of a split encoder): its external data files are read
    /// from <paramref name="dataDirectory"/>.
    /// </summary>
    public static SessionOptions CreateForBytes(EngineOptions options, string dataDirectory)
    {
        var so = Create(options);
        so.AddSessionConfigEntry("session.model_external_initializers_file_folder_path", dataDirectory);
        return so;
    }

    /// <summary>Maps the option text to a level; unknown text is an error.</summary>
    public static GraphOptimizationLevel ParseOptimizationLevel(string? level) => (level ?? "all").Trim().ToLowerInvariant() switch
    {
        "disable" or "none" or "off" => GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all" or "" => GraphOptimizationLevel.ORT_ENABLE_ALL,
        _ => throw new InvalidOperationException($"unknown graph optimization level '{level}' (expected disable, basic, extended or all)"),
    };

    private static string NormaliseProvider(string? provider) => (provider ?? "cpu").Trim().ToLowerInvariant() switch
    {
        "" => "cpu",
        "trt" => "tensorrt",
        var p => p,
    };

    private static void AddProvider(string name, int deviceId, Action add)
    {
        try
        {
            add();
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            throw new InvalidOperationException(
                $"cannot add the {name} execution provider for device {deviceId}: {ex.Message} " +
                "(build with -p:Sam3Gpu=true for the GPU runtime, and install the CUDA 12 / cuDNN 9 libraries it needs)", ex);
        }
    }
}
