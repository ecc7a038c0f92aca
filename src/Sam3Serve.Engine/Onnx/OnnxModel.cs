using Microsoft.ML.OnnxRuntime;

namespace Sam3Serve.Engine.Onnx;

/// <summary>
/// One ONNX file loaded into an <see cref="InferenceSession"/>. Input and output names, element types and shapes come
/// from the session's metadata; inputs are converted to the declared element type. On a GPU provider, outputs can
/// stay in device memory (bound with <see cref="OrtIoBinding"/>) so encoder features feed the decoder without a copy.
/// Thread-safe for <see cref="Run"/>.
/// </summary>
internal sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtMemoryInfo? _deviceMemory;
    private readonly Dictionary<string, TensorSpec> _inputsByName;
    private readonly ModelRunGate? _gate;
    private readonly bool _trimAfterRun;

    private OnnxModel(string path, InferenceSession session, OrtMemoryInfo? deviceMemory, ModelRunGate? gate, bool trimAfterRun)
    {
        FilePath = path;
        _session = session;
        _deviceMemory = deviceMemory;
        _gate = gate;
        _trimAfterRun = trimAfterRun;
        Inputs = session.InputNames.Select(n => ToSpec(n, session.InputMetadata[n])).ToArray();
        Outputs = session.OutputNames.Select(n => ToSpec(n, session.OutputMetadata[n])).ToArray();
        _inputsByName = Inputs.ToDictionary(s => s.Name, StringComparer.Ordinal);
        DocString = session.ModelMetadata.Description ?? "";
    }

    /// <summary>The file the session was loaded from.</summary>
    public string FilePath { get; }

    /// <summary>Graph inputs in declaration order.</summary>
    public IReadOnlyList<TensorSpec> Inputs { get; }

    /// <summary>Graph outputs in declaration order.</summary>
    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>The model's doc_string.</summary>
    public string DocString { get; }

    /// <summary>True when outputs requested on the device really stay there (cuda/tensorrt).</summary>
    public bool HasDeviceMemory => _deviceMemory is not null;

    /// <summary>
    /// Loads <paramref name="path"/> with the session settings from <paramref name="options"/>; runs wait for
    /// <paramref name="gate"/> when one is given.
    /// </summary>
    public static OnnxModel Load(string path, EngineOptions options, ModelRunGate? gate = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX file not found: {path}", path);
        }
        return Create(path, options, gate, SessionOptionsFactory.Create(options), so => new InferenceSession(path, so));
    }

    /// <summary>
    /// Loads a graph built in memory (e.g. one part of a split encoder). Its external data is read from
    /// <paramref name="dataDirectory"/>; <paramref name="displayName"/> names it in messages.
    /// </summary>
    public static OnnxModel Load(byte[] model, string displayName, string dataDirectory, EngineOptions options, ModelRunGate? gate = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        return Create(displayName, options, gate, SessionOptionsFactory.CreateForBytes(options, dataDirectory), so => new InferenceSession(model, so));
    }

    /// <summary>
    /// The outputs a features run should fetch: those in <paramref name="consumed"/>, or null (all) when that is every
    /// output or none of them (e.g. a decoder that names its inputs differently).
    /// </summary>
    public string[]? SelectOutputs(IReadOnlySet<string>? consumed)
    {
        var kept = consumed is null ? [] : Outputs.Select(o => o.Name).Where(consumed.Contains).ToArray();
        return kept.Length > 0 && kept.Length < Outputs.Count ? kept : null;
    }

    private static OnnxModel Create(string path, EngineOptions options, ModelRunGate? gate, SessionOptions sessionOptionsToOwn, Func<SessionOptions, InferenceSession> open)
    {
        using var sessionOptions = sessionOptionsToOwn;
        InferenceSession session;
        try
        {
            session = open(sessionOptions);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new InvalidOperationException($"ONNX Runtime cannot load {path}: {ex.Message}", ex);
        }
        var device = SessionOptionsFactory.IsGpu(options.ExecutionProvider)
            ? new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, options.DeviceId, OrtMemType.Default)
            : null;
        return new OnnxModel(path, session, device, gate, options.ReleaseMemoryAfterRuns);
    }

    /// <summary>True when the graph has an input called <paramref name="name"/>.</summary>
    public bool HasInput(string name) => _inputsByName.ContainsKey(name);

    /// <summary>The input called <paramref name="name"/>.</summary>
    public TensorSpec Input(string name) =>
        _inputsByName.TryGetValue(name, out var spec) ? spec : throw new InvalidOperationException($"{Path.GetFileName(FilePath)} has no input '{name}' (inputs: {string.Join(", ", Inputs)})");

    /// <summary>The output called <paramref name="name"/>.</summary>
    public TensorSpec Output(string name) =>
        Outputs.FirstOrDefault(o => o.Name == name) ?? throw new InvalidOperationException($"{Path.GetFileName(FilePath)} has no output '{name}' (outputs: {string.Join(", ", Outputs)})");

    /// <summary>
    /// Runs the graph. Every graph input must be given; <paramref name="outputNames"/> null means all outputs.
    /// With <paramref name="keepOnDevice"/> on a GPU provider the outputs stay in device memory (usable only as inputs
    /// of another run); otherwise they are host values.
    /// </summary>
    public ModelOutputs Run(IReadOnlyDictionary<string, ModelInput> inputs, IReadOnlyList<string>? outputNames = null, bool keepOnDevice = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        var names = outputNames ?? Outputs.Select(o => o.Name).ToArray();
        var owned = new List<OrtValue>();
        try
        {
            var inputNames = new List<string>(Inputs.Count);
            var inputValues = new List<OrtValue>(Inputs.Count);
            foreach (var spec in Inputs)
            {
                if (!inputs.TryGetValue(spec.Name, out var input))
                {
                    throw new InvalidOperationException($"{Path.GetFileName(FilePath)} needs input '{spec.Name}'");
                }
                inputNames.Add(spec.Name);
                inputValues.Add(Prepare(input, spec, owned));
            }
            foreach (var name in inputs.Keys)
            {
                if (!_inputsByName.ContainsKey(name))
                {
                    throw new InvalidOperationException($"{Path.GetFileName(FilePath)} has no input '{name}'");
                }
            }

            using var runOptions = new RunOptions();
            using var registration = cancellationToken.Register(static o => ((RunOptions)o!).Terminate = true, runOptions);
            IReadOnlyList<OrtValue> results;
            using (_gate?.Enter(cancellationToken))
            {
                try
                {
                    results = _deviceMemory is null
                        ? _session.Run(runOptions, inputNames, inputValues, names).ToArray()
                        : RunBound(runOptions, inputNames, inputValues, names, keepOnDevice);
                }
                catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }
                finally
                {
                    if (_trimAfterRun)
                    {
                        // The run's activations are freed; hand their pages back before the next run asks for more.
                        NativeHeap.Trim();
                    }
                }
            }
            var byName = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
            for (var i = 0; i < names.Count; i++)
            {
                byName[names[i]] = results[i];
            }
            return new ModelOutputs(byName);
        }
        finally
        {
            foreach (var v in owned)
            {
                v.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        _deviceMemory?.Dispose();
    }

    private OrtValue[] RunBound(RunOptions runOptions, List<string> inputNames, List<OrtValue> inputValues, IReadOnlyList<string> outputNames, bool keepOnDevice)
    {
        using var binding = _session.CreateIoBinding();
        for (var i = 0; i < inputNames.Count; i++)
        {
            binding.BindInput(inputNames[i], inputValues[i]);
        }
        foreach (var name in outputNames)
        {
            binding.BindOutputToDevice(name, keepOnDevice ? _deviceMemory! : OrtMemoryInfo.DefaultInstance);
        }
        binding.SynchronizeBoundInputs();
        var collection = _session.RunWithBoundResults(runOptions, binding);
        binding.SynchronizeBoundOutputs();
        // Results come back in the order the outputs were bound.
        return collection.ToArray();
    }

    private static OrtValue Prepare(ModelInput input, TensorSpec spec, List<OrtValue> owned)
    {
        OrtValue value;
        if (input.Value is { } ready)
        {
            var type = ready.GetTensorTypeAndShape().ElementDataType;
            if (type == spec.ElementType)
            {
                return ready;
            }
            if (ready.GetTensorMemoryInfo().GetDeviceType() != OrtMemoryInfoDeviceType.CPU)
            {
                throw new InvalidOperationException($"input '{spec.Name}' is a {type} tensor in device memory but the graph wants {spec.ElementType}");
            }
            var shape = ready.GetTensorTypeAndShape().Shape;
            value = ElementConversion.CreateValue(ModelInput.FromFloats(ElementConversion.ToFloats(ready), shape), spec.ElementType);
        }
        else
        {
            if (input.Shape.Length != spec.Rank)
            {
                throw new InvalidOperationException($"input '{spec.Name}' has rank {input.Shape.Length}, the graph declares {spec}");
            }
            for (var d = 0; d < spec.Rank; d++)
            {
                if (spec.IsStatic(d) && spec.Dim(d) != input.Shape[d])
                {
                    throw new InvalidOperationException($"input '{spec.Name}' has shape [{string.Join(",", input.Shape)}], the graph declares {spec}");
                }
            }
            value = ElementConversion.CreateValue(input, spec.ElementType);
        }
        owned.Add(value);
        return value;
    }

    private static TensorSpec ToSpec(string name, NodeMetadata meta)
    {
        if (!meta.IsTensor)
        {
            throw new InvalidOperationException($"'{name}' is not a tensor");
        }
        var dims = meta.Dimensions.Select(d => d > 0 ? (long)d : -1L).ToArray();
        return new TensorSpec(name, meta.ElementDataType, dims);
    }
}
