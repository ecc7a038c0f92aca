using System.Diagnostics;
using Onnx;

namespace Sam3Serve.Engine.Onnx.TrunkSharing;

/// <summary>
/// Finds the computation two vision encoders share (SAM 3's detector and tracker encoders carry the same ViT trunk)
/// by comparing tensor signatures, never by assuming it, and cuts the pair into three graphs: the trunk (run once per
/// image) and one neck per encoder that reads the trunk's outputs. The cut is where a neck first reads a tensor both
/// graphs compute identically from the image; the tracker's copy of the trunk weights is then never loaded.
/// </summary>
internal static class TrunkSplitter
{
    /// <summary>Prefix of the neck inputs that carry trunk outputs (keeps them apart from the neck's own names).</summary>
    public const string TrunkInputPrefix = "trunk::";

    /// <summary>
    /// Compares <paramref name="visionPath"/> and <paramref name="trackerPath"/>; returns the split when they share a
    /// trunk, or null with the reason in <see cref="SplitAnalysis.Reason"/>.
    /// </summary>
    /// <remarks>
    /// With <paramref name="useCache"/>, the weight signatures are kept in the bundle folder (<see cref="SignatureCache"/>)
    /// and the next start reads only a few MiB per data file to check they still hold.
    /// </remarks>
    public static SplitAnalysis Analyse(string visionPath, string trackerPath, bool useCache = false)
    {
        var clock = Stopwatch.StartNew();
        var vision = Load(visionPath);
        var tracker = Load(trackerPath);
        var cache = useCache ? SignatureCache.Open(Path.GetDirectoryName(Path.GetFullPath(visionPath))!) : null;
        var hasher = new InitializerHasher(cache);
        var visionSigs = TensorSignatures.Compute(vision.Graph, Path.GetDirectoryName(Path.GetFullPath(visionPath))!, hasher);
        var trackerSigs = TensorSignatures.Compute(tracker.Graph, Path.GetDirectoryName(Path.GetFullPath(trackerPath))!, hasher);
        var visionBySignature = new Dictionary<UInt128, string>();
        foreach (var (name, signature) in visionSigs.ByName)
        {
            visionBySignature.TryAdd(signature, name);
        }
        var trackerSignatureSet = trackerSigs.ByName.Values.ToHashSet();
        var visionSignatureSet = visionBySignature.Keys.ToHashSet();

        var visionNeck = SliceNeck(vision.Graph, visionSigs, trackerSignatureSet);
        var trackerNeck = SliceNeck(tracker.Graph, trackerSigs, visionSignatureSet);
        cache?.Save();
        var stats = Statistics(tracker.Graph, trackerNeck, visionSignatureSet, trackerSigs, hasher.ExternalBytesRead, clock.Elapsed);
        if (trackerNeck.Boundary.Count == 0 || visionNeck.Boundary.Count == 0)
        {
            return new SplitAnalysis(null, stats, "the two vision encoders compute nothing in common from the image (different trunks or inputs)");
        }
        if (visionNeck.ReadsGraphInput || trackerNeck.ReadsGraphInput)
        {
            return new SplitAnalysis(null, stats, "a neck reads the image input directly, so the trunk cannot be run on its own");
        }

        // The trunk computes, in the vision graph's names, every tensor either neck starts from.
        var trackerToVision = trackerNeck.Boundary.ToDictionary(t => t, t => visionBySignature[trackerSigs.ByName[t]], StringComparer.Ordinal);
        var trunkOutputs = visionNeck.Boundary.Concat(trackerToVision.Values).Distinct(StringComparer.Ordinal).ToList();
        var trunk = BuildTrunk(vision, trunkOutputs);
        var split = new TrunkSplit(
            trunk,
            BuildNeck(vision, visionNeck, visionNeck.Boundary.ToDictionary(b => b, b => b, StringComparer.Ordinal), "detector neck"),
            BuildNeck(tracker, trackerNeck, trackerToVision, "tracker neck"),
            Path.GetDirectoryName(Path.GetFullPath(visionPath))!,
            Path.GetDirectoryName(Path.GetFullPath(trackerPath))!);
        return new SplitAnalysis(split, stats, null);
    }

    private static ModelProto Load(string path)
    {
        using var stream = File.OpenRead(path);
        return ModelProto.Parser.ParseFrom(stream);
    }

    private sealed record NeckSlice(List<NodeProto> Nodes, List<string> Boundary, HashSet<string> Initializers, bool ReadsGraphInput);

    /// <summary>
    /// Walks back from the graph's outputs and stops at tensors the other graph computes too from the image: those
    /// are the neck's inputs; everything walked through is the neck.
    /// </summary>
    private static NeckSlice SliceNeck(GraphProto graph, TensorSignatures signatures, HashSet<UInt128> otherGraph)
    {
        var producer = Producers(graph);
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var nodes = new SortedSet<int>();
        var boundary = new List<string>();
        var usedInitializers = new HashSet<string>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var readsInput = false;
        var stack = new Stack<string>(graph.Output.Select(o => o.Name).Reverse());
        while (stack.Count > 0)
        {
            var tensor = stack.Pop();
            if (tensor.Length == 0 || !visited.Add(tensor))
            {
                continue;
            }
            if (signatures.DependsOnInput(tensor) && signatures.TryGet(tensor, out var signature) && otherGraph.Contains(signature))
            {
                boundary.Add(tensor);
                continue;
            }
            if (producer.TryGetValue(tensor, out var index))
            {
                nodes.Add(index);
                foreach (var input in graph.Node[index].Input)
                {
                    stack.Push(input);
                }
            }
            else if (initializers.Contains(tensor))
            {
                usedInitializers.Add(tensor);
            }
            else
            {
                readsInput = true;
            }
        }
        return new NeckSlice(nodes.Select(i => graph.Node[i]).ToList(), boundary, usedInitializers, readsInput);
    }

    private static Dictionary<string, int> Producers(GraphProto graph)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < graph.Node.Count; i++)
        {
            foreach (var output in graph.Node[i].Output)
            {
                if (output.Length > 0)
                {
                    producer[output] = i;
                }
            }
        }
        return producer;
    }

    private static ModelProto BuildTrunk(ModelProto vision, List<string> outputs)
    {
        var graph = vision.Graph;
        var producer = Producers(graph);
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var nodes = new SortedSet<int>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(outputs);
        while (stack.Count > 0)
        {
            var tensor = stack.Pop();
            if (tensor.Length == 0 || !visited.Add(tensor))
            {
                continue;
            }
            if (producer.TryGetValue(tensor, out var index))
            {
                nodes.Add(index);
                foreach (var input in graph.Node[index].Input)
                {
                    stack.Push(input);
                }
            }
            else if (initializers.ContainsKey(tensor))
            {
                used.Add(tensor);
            }
        }
        var trunk = new GraphProto { Name = graph.Name + " trunk" };
        trunk.Input.AddRange(graph.Input.Where(i => !initializers.ContainsKey(i.Name)).Select(i => i.Clone()));
        trunk.Initializer.AddRange(graph.Initializer.Where(i => used.Contains(i.Name)).Select(i => i.Clone()));
        trunk.Node.AddRange(nodes.Select(i => graph.Node[i].Clone()));
        var valueInfo = graph.ValueInfo.ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var name in outputs)
        {
            // The type is filled in from ONNX Runtime's inference when the export carries no value_info for it.
            trunk.Output.Add(valueInfo.TryGetValue(name, out var info) ? info.Clone() : new ValueInfoProto { Name = name });
        }
        return Wrap(vision, trunk);
    }

    private static NeckGraph BuildNeck(ModelProto source, NeckSlice slice, Dictionary<string, string> boundaryToTrunk, string label)
    {
        var graph = source.Graph;
        var neck = new GraphProto { Name = $"{graph.Name} {label}" };
        string Rename(string name) => boundaryToTrunk.ContainsKey(name) ? TrunkInputPrefix + name : name;
        foreach (var node in slice.Nodes)
        {
            var copy = node.Clone();
            for (var i = 0; i < copy.Input.Count; i++)
            {
                copy.Input[i] = Rename(copy.Input[i]);
            }
            neck.Node.Add(copy);
        }
        neck.Initializer.AddRange(graph.Initializer.Where(i => slice.Initializers.Contains(i.Name)).Select(i => i.Clone()));
        foreach (var output in graph.Output)
        {
            if (boundaryToTrunk.ContainsKey(output.Name))
            {
                // An output that is a trunk tensor itself passes through.
                neck.Node.Add(new NodeProto { OpType = "Identity", Name = "pass " + output.Name, Input = { Rename(output.Name) }, Output = { output.Name } });
            }
            neck.Output.Add(output.Clone());
        }
        var inputs = slice.Boundary.Select(b => new NeckInput(boundaryToTrunk[b], TrunkInputPrefix + b)).ToList();
        return new NeckGraph(Wrap(source, neck), inputs);
    }

    private static ModelProto Wrap(ModelProto source, GraphProto graph)
    {
        var model = new ModelProto
        {
            IrVersion = source.IrVersion,
            ProducerName = "sam3serve trunk split",
            ProducerVersion = source.ProducerVersion ?? "",
            DocString = source.DocString ?? "",
            Graph = graph,
        };
        model.OpsetImport.AddRange(source.OpsetImport.Select(o => o.Clone()));
        return model;
    }

    private static SharingStatistics Statistics(GraphProto tracker, NeckSlice trackerNeck, HashSet<UInt128> visionSet, TensorSignatures trackerSigs, long bytesRead, TimeSpan elapsed)
    {
        long sharedBytes = 0, totalBytes = 0;
        int shared = 0;
        foreach (var tensor in tracker.Initializer)
        {
            var bytes = ExternalData.Bytes(tensor);
            totalBytes += bytes;
            if (visionSet.Contains(trackerSigs.ByName[tensor.Name]))
            {
                shared++;
                sharedBytes += bytes;
            }
        }
        var neckBytes = tracker.Initializer.Where(i => trackerNeck.Initializers.Contains(i.Name)).Sum(ExternalData.Bytes);
        return new SharingStatistics(tracker.Initializer.Count, shared, totalBytes, sharedBytes, tracker.Node.Count, trackerNeck.Nodes.Count, neckBytes, bytesRead, elapsed);
    }
}

/// <summary>What the comparison found; <see cref="Split"/> is null when the encoders share no trunk.</summary>
internal sealed record SplitAnalysis(TrunkSplit? Split, SharingStatistics Statistics, string? Reason);

/// <summary>How much of the tracker encoder the detector encoder already computes.</summary>
/// <param name="TrackerInitializers">Initializers of the tracker encoder.</param>
/// <param name="SharedInitializers">Of those, the ones with a byte-identical twin in the detector encoder.</param>
/// <param name="TrackerBytes">Initializer bytes of the tracker encoder.</param>
/// <param name="SharedBytes">Of those, the bytes of the shared ones.</param>
/// <param name="TrackerNodes">Nodes of the tracker encoder.</param>
/// <param name="TrackerNeckNodes">Nodes that remain in the tracker neck after the cut.</param>
/// <param name="TrackerNeckBytes">Initializer bytes the tracker neck loads.</param>
/// <param name="BytesHashed">External weight bytes read to compare.</param>
/// <param name="Elapsed">Time the comparison took.</param>
public sealed record SharingStatistics(int TrackerInitializers, int SharedInitializers, long TrackerBytes, long SharedBytes, int TrackerNodes, int TrackerNeckNodes, long TrackerNeckBytes, long BytesHashed, TimeSpan Elapsed);

/// <summary>The three graphs of a split vision encoder pair, with the folders their external data lives in.</summary>
internal sealed record TrunkSplit(ModelProto Trunk, NeckGraph DetectorNeck, NeckGraph TrackerNeck, string DetectorDirectory, string TrackerDirectory);

/// <summary>A neck graph and, per input, the trunk output that feeds it.</summary>
internal sealed record NeckGraph(ModelProto Model, IReadOnlyList<NeckInput> Inputs)
{
    /// <summary>
    /// The neck as ONNX bytes, its inputs typed as the trunk's outputs are (element type and dims, -1 = dynamic,
    /// from the trunk's session, which inferred them when the export had no value_info).
    /// </summary>
    public byte[] Serialize(Func<string, (int ElementType, long[] Dims)> trunkOutput)
    {
        var model = Model.Clone();
        foreach (var input in Inputs)
        {
            var (elementType, dims) = trunkOutput(input.TrunkOutput);
            var tensorType = new TypeProto.Types.Tensor { ElemType = elementType };
            if (dims.Length > 0)
            {
                tensorType.Shape = new TensorShapeProto();
                for (var d = 0; d < dims.Length; d++)
                {
                    tensorType.Shape.Dim.Add(dims[d] > 0
                        ? new TensorShapeProto.Types.Dimension { DimValue = dims[d] }
                        : new TensorShapeProto.Types.Dimension { DimParam = $"{input.NeckInputName}_d{d}" });
                }
            }
            model.Graph.Input.Add(new ValueInfoProto { Name = input.NeckInputName, Type = new TypeProto { TensorType = tensorType } });
        }
        return Google.Protobuf.MessageExtensions.ToByteArray(model);
    }
}

/// <summary>Trunk output <paramref name="TrunkOutput"/> feeds neck input <paramref name="NeckInputName"/>.</summary>
internal sealed record NeckInput(string TrunkOutput, string NeckInputName);
