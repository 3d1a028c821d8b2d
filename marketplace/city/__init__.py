"""The city's side: the inventory import (command and page), monitoring, agreements (MoU/PKS) and the MoU reports."""
