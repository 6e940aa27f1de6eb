# The compiled core has exactly the pure twin's interface.
from ._core_py import (
    DEFAULT_MAXSIZE as DEFAULT_MAXSIZE,
    VALIDATION_MODES as VALIDATION_MODES,
    CacheInfo as CacheInfo,
    _Error as _Error,
    _get_main_module_details as _get_main_module_details,
    _get_module_details as _get_module_details,
    _ModifiedArgv0 as _ModifiedArgv0,
    _run_code as _run_code,
    _prepare_main as _prepare_main,
    _run_module_as_main as _run_module_as_main,
    _run_module_code as _run_module_code,
    _TempModule as _TempModule,
    cache_clear as cache_clear,
    cache_configure as cache_configure,
    cache_info as cache_info,
    run_module as run_module,
    run_path as run_path,
    prepare_module as prepare_module,
    prepare_path as prepare_path,
    PreparedModule as PreparedModule,
    PreparedPath as PreparedPath,
)

__all__ = ["run_module", "run_path"]
