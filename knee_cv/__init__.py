"""knee-cv: rep-by-rep knee valgus and hip drop screening from video."""
from .errors import InputError, KneeCvError, ModelError, NoPersonError
from .track import PoseTrack

__version__ = "0.1.0"
__all__ = ["PoseTrack", "KneeCvError", "InputError", "ModelError", "NoPersonError", "__version__"]
