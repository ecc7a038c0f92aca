using System.CommandLine;
using Sam3Serve.Cli.Commands;

var root = new RootCommand("sam3serve: a self-hosted SAM 3 image segmentation service (Segmind sam3-image compatible)")
{
    ServeCommand.Create(),
    KeysCommand.Create(),
    ModelsCommand.Create(),
    SegmentCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
