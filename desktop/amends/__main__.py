from amends.launch import main

raise SystemExit(main())
