"""Images and videos given on a command line: file types and folder expansion (standard library
only, so the deployment tools that run without torch or MMPose can use it)."""
import os
import os.path as osp
from typing import List, Optional, Sequence

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_EXTS = ('.mp4', '.avi', '.mov', '.mkv', '.webm')


def media_kind(path: str) -> Optional[str]:
    """``'image'`` or ``'video'`` by the file's extension; None for anything else."""
    lower = path.lower()
    if lower.endswith(IMAGE_EXTS):
        return 'image'
    if lower.endswith(VIDEO_EXTS):
        return 'video'
    return None


def expand_inputs(inputs: Sequence[str]) -> List[str]:
    """Folders become their images and videos (sorted by name); everything else is kept as
    given, missing files included (the caller reports them)."""
    files = []
    for item in inputs:
        if osp.isdir(item):
            files += sorted(osp.join(item, f) for f in os.listdir(item)
                            if media_kind(f) is not None)
        else:
            files.append(item)
    return files
